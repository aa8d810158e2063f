"""demo: the realistic Chinese demo data set."""
