//! PLAN runtime: values, heap, evaluator, hashing and seeds.
