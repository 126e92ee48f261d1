//! `SqlExec` for a sqlx pool, generated per engine so each stays fully typed.
//!
//! Every statement runs under the engine's retry policy (`super::retry`):
//! reads are repeated on any transient failure, writes only when the failure
//! shows nothing was applied (see `retry` for the rule).

/// Implements `SqlExec` for `$exec` (a newtype over `sqlx::Pool<$db>`), with
/// transient failures retried under `$policy` (a `domain::RetryPolicy`; none when
/// omitted).
macro_rules! impl_sql_exec {
    ($exec:ty, $db:ty) => {
        $crate::sql::exec::impl_sql_exec!($exec, $db, ::domain::RetryPolicy::ONCE);
    };
    ($exec:ty, $db:ty, $policy:expr) => {
        impl $exec {
            const RETRY: ::domain::RetryPolicy = $policy;

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

            /// A read: every attempt is safe to repeat.
            async fn fetch<T>(&self, sql: $crate::sql::Sql) -> Result<Vec<T>, sqlx::Error>
            where
                T: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
            {
                use $crate::sql::retry::{Failure, run};
                let sql = &sql;
                run(&Self::RETRY, || async move {
                    let args = Self::arguments(&sql.params).map_err(Failure::Unapplied)?;
                    sqlx::query_as_with::<_, T, _>(&sql.text, args)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(Failure::Unapplied)
                })
                .await
            }
        }

        #[async_trait::async_trait]
        impl $crate::sql::SqlExec for $exec {
            /// One attempt: readiness reports the store as it is now, and
            /// the prober asks again on its own schedule.
            async fn ping(&self) -> Result<(), sqlx::Error> {
                sqlx::query_scalar::<_, i64>("SELECT CAST(1 AS BIGINT)")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(())
            }

            /// Autocommit: repeated only if no connection could be had (the
            /// statement was never sent) or the server rolled it back.
            async fn execute(&self, sql: $crate::sql::Sql) -> Result<u64, sqlx::Error> {
                use $crate::sql::retry::{Failure, run};
                let sql = &sql;
                run(&Self::RETRY, || async move {
                    let mut conn = self.pool.acquire().await.map_err(Failure::Unapplied)?;
                    let args = Self::arguments(&sql.params).map_err(Failure::Unapplied)?;
                    let done = sqlx::query_with(&sql.text, args)
                        .execute(&mut *conn)
                        .await
                        .map_err(Failure::MaybeApplied)?;
                    Ok(done.rows_affected())
                })
                .await
            }

            /// Repeated whole if it failed before `COMMIT` was sent (the
            /// transaction then rolls back), or the server rolled it back.
            async fn execute_all(
                &self,
                sqls: Vec<$crate::sql::Sql>,
            ) -> Result<Vec<u64>, sqlx::Error> {
                use $crate::sql::retry::{Failure, run};
                let sqls = &sqls;
                run(&Self::RETRY, || async move {
                    let mut tx = self.pool.begin().await.map_err(Failure::Unapplied)?;
                    let mut counts = Vec::with_capacity(sqls.len());
                    for sql in sqls {
                        let args = Self::arguments(&sql.params).map_err(Failure::Unapplied)?;
                        let done = sqlx::query_with(&sql.text, args)
                            .execute(&mut *tx)
                            .await
                            .map_err(Failure::Unapplied)?;
                        counts.push(done.rows_affected());
                    }
                    tx.commit().await.map_err(Failure::MaybeApplied)?;
                    Ok(counts)
                })
                .await
            }

            async fn fetch_i64(&self, sql: $crate::sql::Sql) -> Result<Option<i64>, sqlx::Error> {
                use $crate::sql::retry::{Failure, run};
                let sql = &sql;
                run(&Self::RETRY, || async move {
                    let args = Self::arguments(&sql.params).map_err(Failure::Unapplied)?;
                    sqlx::query_scalar_with::<_, i64, _>(&sql.text, args)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(Failure::Unapplied)
                })
                .await
            }

            /// Each engine's own `fetch_image_rows`: the hottest reads.
            async fn fetch_images(
                &self,
                sql: $crate::sql::Sql,
            ) -> Result<Vec<$crate::sql::rows::ImageRow>, sqlx::Error> {
                self.fetch_image_rows(sql).await
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

            async fn fetch_chain(
                &self,
                sql: $crate::sql::Sql,
            ) -> Result<Vec<$crate::sql::rows::ChainRow>, sqlx::Error> {
                self.fetch(sql).await
            }

            async fn fetch_head(
                &self,
                sql: $crate::sql::Sql,
            ) -> Result<Vec<$crate::sql::rows::HeadRow>, sqlx::Error> {
                self.fetch(sql).await
            }

            async fn fetch_controls(
                &self,
                sql: $crate::sql::Sql,
            ) -> Result<Vec<$crate::sql::rows::ControlRow>, sqlx::Error> {
                self.fetch(sql).await
            }
        }
    };
}

pub(crate) use impl_sql_exec;
