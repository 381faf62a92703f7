-- query: pipeline/unknown_site_records
-- question: How many loaded logs and release files under the ingested roots (temp table _roots)
--   have no site? The ingest's summary warns about them.

select count(*)
from files
where
    root in (select root from _roots)
    and kind in ('train', 'eval', 'corruption', 'release')
    and status in ('ok', 'partial')
    and site = 'unknown'
