"""Project planning: project types, the coverage table, ranking and portfolio solvers, one run."""
