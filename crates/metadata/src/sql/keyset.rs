//! The one keyset page of every SQL list: rows strictly after a key, ordered
//! by that key, at most `limit`. Images, albums, the audit trail, the audit
//! chain and the whole-table walks all end their query with it.

use domain::SortOrder;

use super::{Param, Sql};

/// A keyset page over `columns` (a unique key, compared as one row value).
pub(crate) struct Keyset<'a> {
    pub(crate) columns: &'a [&'a str],
    /// The key of the last row already seen, one value per column.
    pub(crate) after: Option<Vec<Param>>,
    pub(crate) order: SortOrder,
    pub(crate) limit: u32,
}

impl Sql {
    /// Appends the page's condition, order and limit to a query whose text
    /// ends in a `WHERE` clause (`WHERE 1 = 1` when there is nothing to filter).
    pub(crate) fn push_keyset(&mut self, page: Keyset<'_>) {
        let (cmp, dir) = match page.order {
            SortOrder::Asc => (">", "ASC"),
            SortOrder::Desc => ("<", "DESC"),
        };
        if let Some(after) = page.after {
            let holders: Vec<String> = after.into_iter().map(|v| self.arg(v)).collect();
            let condition = match page.columns {
                // A plain comparison for one column, so its index is used as is.
                [column] => format!(" AND {column} {cmp} {}", holders.join(", ")),
                columns => format!(
                    " AND ({}) {cmp} ({})",
                    columns.join(", "),
                    holders.join(", ")
                ),
            };
            self.text.push_str(&condition);
        }
        let order: Vec<String> = page
            .columns
            .iter()
            .map(|column| format!("{column} {dir}"))
            .collect();
        let limit = self.arg(Param::int(page.limit.into()));
        self.text
            .push_str(&format!(" ORDER BY {} LIMIT {limit}", order.join(", ")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(columns: &[&str], after: Option<Vec<Param>>, order: SortOrder) -> Sql {
        let mut sql = Sql::new("SELECT x FROM t WHERE a = $1", vec![Param::text("a")]);
        sql.push_keyset(Keyset {
            columns,
            after,
            order,
            limit: 21,
        });
        sql
    }

    #[test]
    fn the_first_page_has_no_condition() {
        let sql = page(&["id"], None, SortOrder::Desc);
        assert_eq!(
            sql.text,
            "SELECT x FROM t WHERE a = $1 ORDER BY id DESC LIMIT $2"
        );
        assert_eq!(sql.params.len(), 2);
    }

    #[test]
    fn one_column_compares_plainly() {
        let sql = page(&["id"], Some(vec![Param::text("k")]), SortOrder::Asc);
        assert_eq!(
            sql.text,
            "SELECT x FROM t WHERE a = $1 AND id > $2 ORDER BY id ASC LIMIT $3"
        );
    }

    #[test]
    fn several_columns_compare_as_a_row_value() {
        let after = vec![Param::int(7), Param::text("k")];
        let sql = page(&["a.created_at", "a.id"], Some(after), SortOrder::Desc);
        assert_eq!(
            sql.text,
            "SELECT x FROM t WHERE a = $1 AND (a.created_at, a.id) < ($2, $3) \
             ORDER BY a.created_at DESC, a.id DESC LIMIT $4"
        );
        assert_eq!(sql.params.len(), 4);
    }
}
