import Hummingbird

/// The administrators' console pages: users, task runs, schedules, the cache and the audit log. The API enforces the `admin` and `view`
/// permissions; these pages only render the forms and tables that call it.
struct AdminPageRoutes: RouteGroup {
    let pages: ConsolePages

    var endpoints: [Route] {
        [
            Route(.get, "/admin/users", access: .public, tag: "console", summary: "Console: users (create, role, disable)", users),
            Route(.get, "/admin/task-runs", access: .public, tag: "console", summary: "Console: task runs (cancel)", taskRuns),
            Route(.get, "/admin/schedules", access: .public, tag: "console", summary: "Console: schedules (enable, retime)", schedules),
            Route(.get, "/admin/cache", access: .public, tag: "console", summary: "Console: cache statistics and clear actions", cache),
            Route(.get, "/admin/audit", access: .public, tag: "console", summary: "Console: audit log with filters and paging", audit),
        ]
    }

    func users(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        await page("admin-users", titleKey: "nav_users", request)
    }

    func taskRuns(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        await page("admin-task-runs", titleKey: "nav_task_runs", request)
    }

    func schedules(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        await page("admin-schedules", titleKey: "nav_schedules", request)
    }

    func cache(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        await page("admin-cache", titleKey: "nav_cache", request)
    }

    func audit(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        await page("admin-audit", titleKey: "nav_audit", request)
    }

    private func page(_ template: String, titleKey: String, _ request: Request) async -> Response {
        switch await pages.signedIn(request) {
        case .success(let principal):
            return pages.render(template, nav: "admin", titleKey: titleKey, request: request, principal: principal)
        case .failure(let redirect): return redirect.response
        }
    }
}
