"""Case characterisation: the drug's deduplicated cases (sex, age, seriousness, outcomes …)
and the cases per event of interest, from :func:`pvsignal.analysis.cases.case_series`
under the profile's case definition."""

from __future__ import annotations

from pvsignal.errors import PvsignalError
from pvsignal.report.profile.context import ProfileContext, SectionSpec
from pvsignal.report.profile.model import Section, Table
from pvsignal.report.profile.tables import fig_title, figure, num, table

#: CaseSeries attribute → table heading
TABLES = (("sex", "Sex"), ("age_group", "Age group (years)"), ("seriousness", "Seriousness"),
          ("outcomes", "Outcomes (a case may have several)"), ("reporter_occupation", "Reporter"),
          ("reporter_country", "Reporter country"), ("indications", "Indications (top)"),
          ("co_reported_drugs", "Co-reported drugs (top)"))


def build(ctx: ProfileContext) -> Section:
    ctx.need_lake()
    from pvsignal.analysis.cases import case_series
    from pvsignal.report import plots

    sec = SECTION.empty()
    synth = ctx.synthetic_for("faers")
    opts = ctx.analysis_options()
    cs = case_series(ctx.con, ctx.drug, **opts)
    sec.data["n_cases"] = cs.n_cases
    sec.paragraphs.append(f"{cs.n_cases} deduplicated cases list {ctx.key} as a suspect drug "
                          f"(roles {', '.join(ctx.definition.role_codes)}).")
    per = []
    for ev in ctx.events:
        try:
            e = case_series(ctx.con, ctx.drug, ev, **opts)
        except PvsignalError as exc:
            per.append([ev.upper(), 0, None, None, None, str(exc)])
            continue
        ser = e.seriousness.set_index("category")["n"]
        fem = e.sex.set_index("category")["n"]
        age = e.summary.set_index("variable")
        per.append([ev.upper(), e.n_cases, num(ser.iloc[0] / e.n_cases),
                    num(fem.get("Female", 0) / e.n_cases), num(age.loc["age_years", "median"]), ""])
    sec.tables.append(Table(caption="Cases per event of interest", synthetic=synth,
                            columns=["event", "cases", "serious (share)", "female (share)", "median age (years)", "note"],
                            rows=per))
    for name, label in TABLES:
        df = getattr(cs, name).head(ctx.top_n)
        sec.tables.append(table(df, f"{label}: {ctx.key} cases", ["category", "n", "share"], synthetic=synth))
    if ctx.figures:
        head = f"{ctx.key} cases (n = {cs.n_cases})"
        sec.figures.append(figure(
            lambda p: plots.bar_chart(cs.age_group, p, horizontal=False, title=fig_title(f"Age group: {head}", synth)),
            fig_title("Cases by age group", synth), "bar chart of cases by age group", synth))
        sec.figures.append(figure(
            lambda p: plots.bar_chart(cs.outcomes, p, title=fig_title(f"Outcomes: {head}", synth)),
            fig_title("Serious outcomes", synth), "bar chart of serious outcomes", synth))
    return sec


SECTION = SectionSpec("cases", "Case characterisation", "faers", build)
