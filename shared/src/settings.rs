//! Reading the functions' settings from their environment: shapes shared by every function.

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
    use super::comma_list;

    #[test]
    fn items_are_trimmed_and_empty_ones_dropped() {
        assert_eq!(comma_list(Some(" a, ,b ,,c")), ["a", "b", "c"]);
        assert!(comma_list(Some(" , ")).is_empty());
        assert!(comma_list(None).is_empty());
    }
}
