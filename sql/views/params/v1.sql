-- view: params
-- version: 1 (first version)
-- grain: one row per warehouse (a single row)
-- reads: check_params
-- question: Which thresholds are in force? The table check_params (one row per parameter, the value a
--   user set or the default) as one row with a column per parameter, named <check>_<what> for the
--   parameter <check>.<what>: the views read their thresholds here, so the pivot is written once.
--   A parameter the table lacks is NULL.
-- columns:
--   best_epoch_early_fraction: best_epoch.early_fraction (fraction of epochs_planned)
--   best_epoch_use_observed_decay: best_epoch.use_observed_decay (flag (0 or 1))
--   duplicate_paired_bootstrap_samples: duplicate_paired.bootstrap_samples (resamples)
--   duplicate_paired_confidence: duplicate_paired.confidence (probability)
--   duplicate_paired_seed: duplicate_paired.seed (integer)
--   explain_confounders_checked: explain.confounders_checked (explanations)
--   explain_max_chance: explain.max_chance (probability)
--   explain_max_order: explain.max_order (attribute values)
--   explain_min_gain: explain.min_gain (ratio)
--   explain_min_outliers: explain.min_outliers (runs)
--   explain_min_risk_ratio: explain.min_risk_ratio (ratio)
--   explain_min_support: explain.min_support (fraction of the outliers)
--   gpu_accuracy_max_chance: gpu_accuracy.max_chance (probability)
--   gpu_accuracy_max_low_share: gpu_accuracy.max_low_share (fraction of runs)
--   gpu_accuracy_min_runs: gpu_accuracy.min_runs (runs)
--   low_arch_min_drop: low_arch.min_drop (CW-40 accuracy points)
--   low_arch_window: low_arch.window (architectures on each side)
--   noise_equivalence_margin: noise.equivalence_margin (accuracy points)
--   precision_path_min_scaled_grad_norm: precision_path.min_scaled_grad_norm (|gn| (gradient norm before clipping))
--   robust_overfitting_min_gap: robust_overfitting.min_gap (CW-40 accuracy points)
--   timeline_max_chance: timeline.max_chance (probability)
--   timeline_min_change: timeline.min_change (share of runs)
--   timeline_min_runs: timeline.min_runs (runs)
--   vertical_lines_max_chance: vertical_lines.max_chance (bands)
--   vertical_lines_max_gap: vertical_lines.max_gap (architectures)
--   vertical_lines_min_low: vertical_lines.min_low (architectures)

with final as (
    select
        max(value) filter (where name = 'best_epoch.early_fraction') as best_epoch_early_fraction,
        max(value) filter (where name = 'best_epoch.use_observed_decay') as best_epoch_use_observed_decay,
        max(value) filter (where name = 'duplicate_paired.bootstrap_samples') as duplicate_paired_bootstrap_samples,
        max(value) filter (where name = 'duplicate_paired.confidence') as duplicate_paired_confidence,
        max(value) filter (where name = 'duplicate_paired.seed') as duplicate_paired_seed,
        max(value) filter (where name = 'explain.confounders_checked') as explain_confounders_checked,
        max(value) filter (where name = 'explain.max_chance') as explain_max_chance,
        max(value) filter (where name = 'explain.max_order') as explain_max_order,
        max(value) filter (where name = 'explain.min_gain') as explain_min_gain,
        max(value) filter (where name = 'explain.min_outliers') as explain_min_outliers,
        max(value) filter (where name = 'explain.min_risk_ratio') as explain_min_risk_ratio,
        max(value) filter (where name = 'explain.min_support') as explain_min_support,
        max(value) filter (where name = 'gpu_accuracy.max_chance') as gpu_accuracy_max_chance,
        max(value) filter (where name = 'gpu_accuracy.max_low_share') as gpu_accuracy_max_low_share,
        max(value) filter (where name = 'gpu_accuracy.min_runs') as gpu_accuracy_min_runs,
        max(value) filter (where name = 'low_arch.min_drop') as low_arch_min_drop,
        max(value) filter (where name = 'low_arch.window') as low_arch_window,
        max(value) filter (where name = 'noise.equivalence_margin') as noise_equivalence_margin,
        max(value) filter (where name = 'precision_path.min_scaled_grad_norm') as precision_path_min_scaled_grad_norm,
        max(value) filter (where name = 'robust_overfitting.min_gap') as robust_overfitting_min_gap,
        max(value) filter (where name = 'timeline.max_chance') as timeline_max_chance,
        max(value) filter (where name = 'timeline.min_change') as timeline_min_change,
        max(value) filter (where name = 'timeline.min_runs') as timeline_min_runs,
        max(value) filter (where name = 'vertical_lines.max_chance') as vertical_lines_max_chance,
        max(value) filter (where name = 'vertical_lines.max_gap') as vertical_lines_max_gap,
        max(value) filter (where name = 'vertical_lines.min_low') as vertical_lines_min_low
    from check_params
)

select * from final
