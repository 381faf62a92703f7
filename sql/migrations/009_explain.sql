-- migration 009: the thresholds of the explanation views (check_explain, check_noise, check_timeline).

insert into check_params values
    ('explain.min_support', 'explain', 0.2, 0.2, 'fraction of the outliers',
        'A combination of run attributes explains an outcome only when it matches at least this share of the runs where the outcome holds.'),
    ('explain.min_risk_ratio', 'explain', 3.0, 3.0, 'ratio',
        'A combination explains an outcome only when the runs it matches have the outcome at least this many times as often as the other runs; within the levels of an attribute, a Mantel-Haenszel risk ratio below it means that attribute absorbs the combination.'),
    ('explain.min_gain', 'explain', 1.25, 1.25, 'ratio',
        'A combination of two or three values is kept only when its risk ratio is at least this many times that of each of its subsets of one value fewer: a value that only trims a few runs adds nothing.'),
    ('explain.max_order', 'explain', 3, 3, 'attribute values',
        'Largest number of attribute values combined in one explanation.'),
    ('explain.min_outliers', 'explain', 5, 5, 'runs',
        'Fewest outlier runs a combination must match (a handful of runs proves nothing).'),
    ('explain.confounders_checked', 'explain', 100, 100, 'explanations',
        'The best explanations of each outcome that are checked for an attribute absorbing them (explained_by).'),
    ('noise.equivalence_margin', 'noise', 1.0, 1.0, 'accuracy points',
        'Smallest site difference that matters: a comparison is equivalent when its 90% interval lies within this margin (or the noise floor, when larger), the two one-sided tests (TOST).'),
    ('timeline.min_runs', 'timeline', 5, 5, 'runs',
        'Finished runs a site needs on each side of a change point.'),
    ('timeline.min_change', 'timeline', 0.2, 0.2, 'share of runs',
        'Change of a site''s share of low runs that makes a change point.');

alter table runs add column val_images integer;
comment on column runs.val_images is 'Validation images of the run''s attack evaluation (the denominator of its first Natural Correct Count line): the size behind the binomial error of its validation accuracies.';
