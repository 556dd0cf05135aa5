"""Sample-data generator: a coherent, multi-tenant operational history written as source
exports (CSV, JSONL, Parquet) in the landing layout, with ground truth for evaluation.

    from generator import generate
    summary = generate(Path("data/landing"), Path("data/ground_truth"), tenants=10, scale=1)
"""

from generator.api import GenerationSummary, generate

__all__ = ["GenerationSummary", "generate"]
