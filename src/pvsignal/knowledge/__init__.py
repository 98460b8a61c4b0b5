"""Drug knowledge as data files: CYP3A/P-gp perpetrators, label rules, compound facts."""
