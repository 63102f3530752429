/// Background work: the durable job queue's task runs and the schedules that fire jobs (`/api/v1/task-runs`,
/// `/api/v1/schedules`), and the maintenance jobs that prune sessions and finished runs.
struct JobsFeature: Feature {
    static let migrations = [Migration(version: 3, name: "jobs", statements: JobsSchema.statements)]
    static let errorCodes: [ErrorCode] = [.jobTimeout, .jobFailed, .jobFinished]

    let jobKinds: [JobKind]
    let schedules: [ScheduleDefinition]
    let routeGroups: [any RouteGroup]

    init(services: AppServices, built: FeatureSet) {
        jobKinds = JobCatalog.kinds(identity: services.identity, jobs: services.jobs)
        schedules = JobCatalog.schedules(timezone: services.configuration.timezone)
        routeGroups = [
            TaskRunRoutes(jobs: services.jobs, runner: services.runner),
            ScheduleRoutes(schedules: services.schedules, clock: services.clock),
        ]
    }
}
