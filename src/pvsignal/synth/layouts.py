"""File layouts the generator writes: zip and member names, headers per era (FACTS.md §1.1–1.2).

Four layouts: legacy AERS ``L1`` (2004Q1–2005Q2, DEMO without REPORTER_COUNTRY),
``L2`` (2005Q3–2012Q3), FAERS ``A`` (2012Q4–2014Q2: gndr_cod, lot_nbr, no prod_ai, no
drug_rec_act; OUTC 2012Q4 header ``outc_code``) and ``B`` (2014Q3 on). Legacy headers
are upper case and legacy data rows end with a ``$`` that the header lacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from pvsignal.quarters import quarter_index
from pvsignal.sources.faers.layouts import era_of

TABLES = ("demo", "drug", "reac", "outc", "rpsr", "ther", "indi")

_LEGACY = {
    "demo": "ISR CASE I_F_COD FOLL_SEQ IMAGE EVENT_DT MFR_DT FDA_DT REPT_COD MFR_NUM MFR_SNDR "
    "AGE AGE_COD GNDR_COD E_SUB WT WT_COD REPT_DT OCCP_COD DEATH_DT TO_MFR CONFID",
    "drug": "ISR DRUG_SEQ ROLE_COD DRUGNAME VAL_VBM ROUTE DOSE_VBM DECHAL RECHAL LOT_NUM EXP_DT NDA_NUM",
    "reac": "ISR PT",
    "outc": "ISR OUTC_COD",
    "rpsr": "ISR RPSR_COD",
    "ther": "ISR DRUG_SEQ START_DT END_DT DUR DUR_COD",
    "indi": "ISR DRUG_SEQ INDI_PT",
}
_FAERS_B = {
    "demo": "primaryid caseid caseversion i_f_code event_dt mfr_dt init_fda_dt fda_dt rept_cod "
    "auth_num mfr_num mfr_sndr lit_ref age age_cod age_grp sex e_sub wt wt_cod rept_dt to_mfr "
    "occp_cod reporter_country occr_country",
    "drug": "primaryid caseid drug_seq role_cod drugname prod_ai val_vbm route dose_vbm cum_dose_chr "
    "cum_dose_unit dechal rechal lot_num exp_dt nda_num dose_amt dose_unit dose_form dose_freq",
    "reac": "primaryid caseid pt drug_rec_act",
    "outc": "primaryid caseid outc_cod",
    "rpsr": "primaryid caseid rpsr_cod",
    "ther": "primaryid caseid dsg_drug_seq start_dt end_dt dur dur_cod",
    "indi": "primaryid caseid indi_drug_seq indi_pt",
}
_FAERS_A = {
    **_FAERS_B,
    "demo": "primaryid caseid caseversion i_f_code event_dt mfr_dt init_fda_dt fda_dt rept_cod "
    "mfr_num mfr_sndr age age_cod gndr_cod e_sub wt wt_cod rept_dt to_mfr occp_cod "
    "reporter_country occr_country",
    "drug": "primaryid caseid drug_seq role_cod drugname val_vbm route dose_vbm cum_dose_chr "
    "cum_dose_unit dechal rechal lot_nbr exp_dt nda_num dose_amt dose_unit dose_form dose_freq",
    "reac": "primaryid caseid pt",
}


@dataclass(frozen=True)
class Layout:
    """Everything about one quarter's files that depends on its era and date."""

    quarter: str  # '2024Q1'
    era: str  # 'aers' | 'faers'
    layout: str  # 'L1' | 'L2' | 'A' | 'B'

    @property
    def legacy(self) -> bool:
        return self.era == "aers"

    @property
    def yyq(self) -> str:
        return f"{self.quarter[2:4]}Q{self.quarter[5]}"

    @property
    def zip_name(self) -> str:
        prefix = "aers" if self.legacy else "faers"
        return f"{prefix}_ascii_{self.quarter[:4]}q{self.quarter[5]}.zip"

    def member(self, table: str) -> str:
        """Path of a table's file inside the zip, e.g. ``ASCII/DEMO24Q1.txt``."""
        if self.legacy:
            name = f"{table.upper()}{self.yyq}.TXT"
        elif self.quarter == "2012Q4":
            name = f"{table}{self.yyq.lower()}.txt"
        elif self.quarter == "2018Q1" and table == "demo":
            name = f"DEMO{self.yyq}_new.txt"  # FACTS.md §1.1
        else:
            name = f"{table.upper()}{self.yyq}.txt"
        return f"ASCII/{name}"

    @property
    def has_deleted(self) -> bool:
        """FAERS publishes ``Deleted/DELETEyyQq.txt`` from 2019Q1 on (FACTS.md §1.1)."""
        return quarter_index(self.quarter) >= quarter_index("2019Q1")

    @property
    def deleted_member(self) -> str:
        return f"Deleted/DELETE{self.yyq}.txt"

    def header(self, table: str) -> list[str]:
        if self.legacy:
            names = _LEGACY[table].split()
            if table == "demo" and self.layout == "L2":
                names.append("REPORTER_COUNTRY")
            return names
        names = (_FAERS_A if self.layout == "A" else _FAERS_B)[table].split()
        if table == "outc" and self.quarter == "2012Q4":
            names = ["primaryid", "caseid", "outc_code"]
        return names


def layout_of(quarter: str) -> Layout:
    """The layout of a quarter such as ``'2014Q3'`` (FACTS.md §1.2)."""
    qi = quarter_index(quarter)
    era = era_of(quarter)
    if era == "aers":
        lay = "L1" if qi <= quarter_index("2005Q2") else "L2"
    else:
        lay = "A" if qi <= quarter_index("2014Q2") else "B"
    return Layout(quarter, era, lay)
