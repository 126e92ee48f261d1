//! `SqlExec` for a sqlx pool, generated per engine so each stays fully typed.

/// Implements `SqlExec` for `$exec` (a newtype over `sqlx::Pool<$db>`).
macro_rules! impl_sql_exec {
    ($exec:ty, $db:ty) => {
        impl $exec {
            /// Owned copies of the parameters, so the arguments live as long as any query.
            fn arguments<'q>(
                params: &[$crate::sql::Param],
            ) -> Result<<$db as sqlx::Database>::Arguments<'q>, sqlx::Error> {
                use sqlx::Arguments as _;
                let mut args = <$db as sqlx::Database>::Arguments::default();
                for param in params {
                    match param {
                        $crate::sql::Param::Text(v) => args.add(v.clone()),
                        $crate::sql::Param::Int(v) => args.add(*v),
                    }
                    .map_err(sqlx::Error::Encode)?;
                }
                Ok(args)
            }

            async fn fetch<T>(&self, sql: $crate::sql::Sql) -> Result<Vec<T>, sqlx::Error>
            where
                T: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
            {
                let args = Self::arguments(&sql.params)?;
                sqlx::query_as_with::<_, T, _>(&sql.text, args)
                    .fetch_all(&self.pool)
                    .await
            }
        }

        #[async_trait::async_trait]
        impl $crate::sql::SqlExec for $exec {
            async fn execute(&self, sql: $crate::sql::Sql) -> Result<u64, sqlx::Error> {
                let args = Self::arguments(&sql.params)?;
                let done = sqlx::query_with(&sql.text, args)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn execute_all(
                &self,
                sqls: Vec<$crate::sql::Sql>,
            ) -> Result<Vec<u64>, sqlx::Error> {
                let mut tx = self.pool.begin().await?;
                let mut counts = Vec::with_capacity(sqls.len());
                for sql in &sqls {
                    let args = Self::arguments(&sql.params)?;
                    let done = sqlx::query_with(&sql.text, args).execute(&mut *tx).await?;
                    counts.push(done.rows_affected());
                }
                tx.commit().await?;
                Ok(counts)
            }

            async fn fetch_i64(&self, sql: $crate::sql::Sql) -> Result<Option<i64>, sqlx::Error> {
                let args = Self::arguments(&sql.params)?;
                sqlx::query_scalar_with::<_, i64, _>(&sql.text, args)
                    .fetch_optional(&self.pool)
                    .await
            }

            async fn fetch_images(
                &self,
                sql: $crate::sql::Sql,
            ) -> Result<Vec<$crate::sql::rows::ImageRow>, sqlx::Error> {
                self.fetch(sql).await
            }

            async fn fetch_albums(
                &self,
                sql: $crate::sql::Sql,
            ) -> Result<Vec<$crate::sql::rows::AlbumRow>, sqlx::Error> {
                self.fetch(sql).await
            }

            async fn fetch_audit(
                &self,
                sql: $crate::sql::Sql,
            ) -> Result<Vec<$crate::sql::rows::AuditRow>, sqlx::Error> {
                self.fetch(sql).await
            }
        }
    };
}

pub(crate) use impl_sql_exec;
