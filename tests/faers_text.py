"""Text of hand-made FAERS lines for tests (FACTS.md §1.2 layouts)."""

FAERS_B_HEADERS = {
    "DEMO": "primaryid$caseid$caseversion$i_f_code$event_dt$mfr_dt$init_fda_dt$fda_dt$rept_cod$auth_num$mfr_num$mfr_sndr$lit_ref$age$age_cod$age_grp$sex$e_sub$wt$wt_cod$rept_dt$to_mfr$occp_cod$reporter_country$occr_country",
    "DRUG": "primaryid$caseid$drug_seq$role_cod$drugname$prod_ai$val_vbm$route$dose_vbm$cum_dose_chr$cum_dose_unit$dechal$rechal$lot_num$exp_dt$nda_num$dose_amt$dose_unit$dose_form$dose_freq",
    "REAC": "primaryid$caseid$pt$drug_rec_act",
    "OUTC": "primaryid$caseid$outc_cod",
    "RPSR": "primaryid$caseid$rpsr_cod",
    "THER": "primaryid$caseid$dsg_drug_seq$start_dt$end_dt$dur$dur_cod",
    "INDI": "primaryid$caseid$indi_drug_seq$indi_pt",
}
LEGACY_HEADERS = {
    "DEMO": "ISR$CASE$I_F_COD$FOLL_SEQ$IMAGE$EVENT_DT$MFR_DT$FDA_DT$REPT_COD$MFR_NUM$MFR_SNDR$AGE$AGE_COD$GNDR_COD$E_SUB$WT$WT_COD$REPT_DT$OCCP_COD$DEATH_DT$TO_MFR$CONFID$REPORTER_COUNTRY",
    "DRUG": "ISR$DRUG_SEQ$ROLE_COD$DRUGNAME$VAL_VBM$ROUTE$DOSE_VBM$DECHAL$RECHAL$LOT_NUM$EXP_DT$NDA_NUM",
    "REAC": "ISR$PT",
    "OUTC": "ISR$OUTC_COD",
    "RPSR": "ISR$RPSR_COD",
    "THER": "ISR$DRUG_SEQ$START_DT$END_DT$DUR$DUR_COD",
    "INDI": "ISR$DRUG_SEQ$INDI_PT",
}


def demo_b(primaryid, caseid, version, fda_dt, *, event_dt="20240105", age="45", sex="F", country="US", mfr_num="", mfr_sndr=""):
    """One FAERS-B DEMO line (25 fields)."""
    f = [str(primaryid), str(caseid), str(version), "I", event_dt, "", fda_dt, fda_dt, "EXP", "", mfr_num, mfr_sndr, "",
         age, "YR" if age else "", "", sex, "Y", "", "", fda_dt, "", "MD", country, country]
    return "$".join(f)


def drug_b(primaryid, caseid, seq, role, name, prod_ai=""):
    return "$".join([str(primaryid), str(caseid), str(seq), role, name, prod_ai, "1", "Oral", "", "", "", "U", "U", "", "", "", "", "", "", ""])


