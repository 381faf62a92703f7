-- query: attribution/delete_stale_sites
-- question: Which `sites` rows go before an ingest's sites files are stored? The unknown row, the
--   rows of sites files no files row names any more, and the rows of the sites files this ingest
--   read again (temp table _site_rows holds their new rows); the rows of other roots' sites files stay.

delete from sites
where
    source is null
    or not exists (
        select 1 from files as f
        where f.sites_path = sites.source and f.sites_sha256 is not distinct from sites.sites_sha256
    )
    or exists (
        select 1 from _site_rows as r
        where r.source = sites.source and r.sites_sha256 is not distinct from sites.sites_sha256
    )
