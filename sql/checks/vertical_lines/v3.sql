-- check: vertical_lines
-- version: 3 (v2 called every band of vertical_lines.min_low low archs a finding, and the report
--   called the hypothesis supported on one: when many archs are low, low archs lying at random form
--   such bands too. v3 keeps v2's bands and says for each how many as large chance alone would form,
--   chance_bands; only a band beyond chance is a finding and flags its runs)
-- grain: one row per band of neighbouring low archs
-- reads: check_vertical_lines_v2, params_v1, run_neighbours_v2
-- question: Are there bands of consecutive arch ids whose accuracy is far below that of their
--   neighbours (the vertical lines of an accuracy-by-arch_id plot: a training problem that hit a
--   stretch of archs, not the archs themselves), more of them than chance forms? The bands are
--   check_vertical_lines_v2's: low archs (run_neighbours) separated by at most
--   vertical_lines.max_gap archs that are not low, at least vertical_lines.min_low low archs.
--   Chance: the same share p of the N archs with a finished run low, each arch independently. A low
--   arch starts a band when none of the g + 1 archs before it is low (g = max_gap), and the band
--   takes in one more low arch when one lies within the next g + 1 archs, with probability
--   q = 1 - (1 - p)^(g + 1). So chance forms 1 - (1 - p)^(g + 2) + (N - g - 2) p (1 - p)^(g + 1)
--   bands (the first archs of the order start one more easily), and q^(k - 1) of them hold k low
--   archs or more. Drawing the low archs without replacement and the end of the order make real
--   chance a little lower: the figure errs towards chance.
-- columns:
--   band_id: 1, 2, ... in arch_id order
--   first_arch_id: first low arch of the band
--   last_arch_id: last low arch of the band
--   n_archs: archs with a finished run from first_arch_id to last_arch_id
--   n_low: low archs in the band
--   sites: sites of the band's low runs, sorted
--   trained_from: earliest start (runs.started_at) of the band's low runs
--   trained_to: latest start of the band's low runs
--   mean_points_below: mean of the low runs' points_below (their neighbours' median minus their
--     best CW-40)
--   chance_bands: how many bands of at least n_low low archs chance forms from as many low archs
--     among the archs with a finished run (expected number)
--   beyond_chance: chance_bands is at most vertical_lines.max_chance: the band is a finding

with params as (
    select
        vertical_lines_max_gap as max_gap,
        vertical_lines_max_chance as max_chance
    from params_v1
),

arch_flags as (
    select
        arch_id,
        bool_or(is_low) as is_low
    from run_neighbours_v2
    group by arch_id
),

low_share as (
    select
        count(*) as n_archs,
        count(*) filter (where is_low) / count(*) as p
    from arch_flags
),

chance as (
    select
        1 - pow(1 - s.p, p.max_gap + 2) + greatest(s.n_archs - p.max_gap - 2, 0) * s.p * pow(1 - s.p, p.max_gap + 1)
            as starts,
        1 - pow(1 - s.p, p.max_gap + 1) as q
    from low_share as s
    cross join params as p
),

final as (
    select
        b.band_id,
        b.first_arch_id,
        b.last_arch_id,
        b.n_archs,
        b.n_low,
        b.sites,
        b.trained_from,
        b.trained_to,
        b.mean_points_below,
        c.starts * pow(c.q, b.n_low - 1) as chance_bands,
        c.starts * pow(c.q, b.n_low - 1) <= p.max_chance as beyond_chance
    from check_vertical_lines_v2 as b
    cross join chance as c
    cross join params as p
)

select * from final
order by band_id
