//! Plain-text tables for people: findings first, then planned actions.

use sagefence_core::{Assessment, Status};

/// Renders an assessment as two aligned tables.
pub fn render(assessment: &Assessment) -> String {
    let mut out = String::new();
    if assessment.findings.is_empty() {
        out.push_str("no findings: the event describes no governed resource\n");
        return out;
    }
    let findings: Vec<Vec<String>> = assessment
        .findings
        .iter()
        .map(|f| {
            let status = match (f.status, &f.exemption) {
                (Status::Failed, Some(_)) => "EXEMPT".to_owned(),
                (Status::Failed, None) => "FAILED".to_owned(),
                (Status::Passed, _) => "PASSED".to_owned(),
                (Status::NotApplicable, _) => "N/A".to_owned(),
            };
            vec![
                status,
                f.rule.to_string(),
                format!("{:?}", f.severity).to_uppercase(),
                f.resource.to_string(),
                f.reason.clone(),
            ]
        })
        .collect();
    out.push_str(&aligned(
        &["STATUS", "RULE", "SEVERITY", "RESOURCE", "REASON"],
        &findings,
    ));
    let actions: Vec<Vec<String>> = assessment
        .actions
        .iter()
        .map(|a| {
            vec![
                a.mode.to_string().to_uppercase(),
                sagefence_audit::audit::action_name(a),
                a.resource.to_string(),
                a.rules.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" "),
                a.reason.clone(),
            ]
        })
        .collect();
    section(&mut out, &["MODE", "ACTION", "RESOURCE", "RULES", "REASON"], &actions);
    out
}

/// Appends a table after a blank line, when it has rows.
pub(crate) fn section(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    if !rows.is_empty() {
        out.push('\n');
        out.push_str(&aligned(header, rows));
    }
}

/// Rows aligned under a header, columns two spaces apart.
pub(crate) fn aligned(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i == last {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  "));
            }
        }
        text.push('\n');
        text
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}
