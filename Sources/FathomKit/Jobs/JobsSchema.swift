/// Tables of the durable job queue and the scheduler.
enum JobsSchema {
    static func statements(_ types: ColumnTypes) -> [String] {
        [
            """
            CREATE TABLE jobs (
                id \(types.serialKey),
                kind TEXT NOT NULL,
                payload TEXT NOT NULL,
                state TEXT NOT NULL,
                priority INTEGER NOT NULL,
                not_before BIGINT NOT NULL,
                attempts INTEGER NOT NULL,
                max_attempts INTEGER NOT NULL,
                lease_owner TEXT,
                lease_expires_at BIGINT,
                cancel_requested \(types.bool) NOT NULL,
                progress_percent INTEGER NOT NULL,
                progress_message TEXT,
                result TEXT,
                error_code TEXT,
                error_message TEXT,
                created_at BIGINT NOT NULL,
                started_at BIGINT,
                finished_at BIGINT,
                updated_at BIGINT NOT NULL)
            """,
            // Claims read only queued rows in priority order; the partial index keeps that cheap however many
            // finished jobs accumulate.
            "CREATE INDEX jobs_claimable ON jobs (priority DESC, id) WHERE state = 'queued'",
            "CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE state = 'running'",
            "CREATE INDEX jobs_kind_state ON jobs (kind, state, id)",
            "CREATE INDEX jobs_state_id ON jobs (state, id)",
            """
            CREATE TABLE schedules (
                name TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                payload TEXT NOT NULL,
                schedule_type TEXT NOT NULL,
                time_of_day TEXT,
                timezone TEXT NOT NULL,
                interval_minutes INTEGER,
                enabled \(types.bool) NOT NULL,
                anchor_at BIGINT NOT NULL,
                last_slot_at BIGINT,
                last_job_id BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            // One row per fired slot: the primary key is what makes a slot fire once across replicas.
            """
            CREATE TABLE schedule_fires (
                schedule_name TEXT NOT NULL,
                slot_at BIGINT NOT NULL,
                job_id BIGINT NOT NULL,
                fired_at BIGINT NOT NULL,
                PRIMARY KEY (schedule_name, slot_at))
            """,
        ]
    }
}
