"""Machine learning on the warehouse marts: model training, evaluation, reference data sets."""
