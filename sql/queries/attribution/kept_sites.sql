-- query: attribution/kept_sites
-- question: Which sites did a sites file (path `$1`, sha256 `$2`) give, as stored when it was last
--   read? Used for a root whose sites file cannot be read now: it keeps these.

select
    site,
    authors,
    paths
from sites
where source = $1 and sites_sha256 is not distinct from $2
order by site
