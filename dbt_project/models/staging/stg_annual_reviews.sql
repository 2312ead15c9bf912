-- Rows of the current load of each quarter's annual review extract: the EHC plans maintained
-- at that quarter's end, as the quarter's own file shows them.
select
    reviews.load_id,
    reviews.source_period,
    reviews.period_start,
    reviews.period_end,
    reviews.plan_id as plan_pseudonym,
    reviews.child_id as child_pseudonym,
    reviews.plan_start_date,
    reviews.last_review_date,
    reviews.next_review_due_date,
    reviews.review_held_date
{{ from_current_load('annual_reviews', 'reviews') }}
