"""Clinical-trial safety from CDISC ADaM data: incidence, CKD-EPI eGFR, dose rules."""
