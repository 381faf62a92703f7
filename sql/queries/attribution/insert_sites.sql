-- query: attribution/insert_sites
-- question: Which of this ingest's site rows (temp table _site_rows) are stored in `sites`? The
--   unknown row, and the rows of every sites file some files row names (by path and sha256).

insert into sites by name
select * from _site_rows as r
where
    r.source is null
    or exists (
        select 1 from files as f
        where f.sites_path = r.source and f.sites_sha256 = r.sites_sha256
    )
