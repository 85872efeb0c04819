//! Reading the functions' settings from their environment: shapes shared by every function.

/// A setting's value, trimmed; unset and blank both read as `None` (CloudFormation passes an
/// empty string where a template leaves an optional setting out).
pub fn setting(raw: Option<String>) -> Option<String> {
    raw.map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// The items of a comma-separated setting, trimmed, empty items dropped (unset reads as none).
pub fn comma_list(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{comma_list, setting};

    #[test]
    fn blank_settings_read_as_unset_and_values_are_trimmed() {
        assert_eq!(
            setting(Some(" arn:aws:sns:eu-west-1:1:t \n".to_owned())).as_deref(),
            Some("arn:aws:sns:eu-west-1:1:t")
        );
        assert_eq!(setting(Some(" \t".to_owned())), None);
        assert_eq!(setting(None), None);
    }

    #[test]
    fn items_are_trimmed_and_empty_ones_dropped() {
        assert_eq!(comma_list(Some(" a, ,b ,,c")), ["a", "b", "c"]);
        assert!(comma_list(Some(" , ")).is_empty());
        assert!(comma_list(None).is_empty());
    }
}
