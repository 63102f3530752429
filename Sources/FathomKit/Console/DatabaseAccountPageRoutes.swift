import Hummingbird

/// Console pages of database accounts (not the console user's own account): the account ledger, one account with
/// its privileges and change history, and the classifications and rules editor.
struct DatabaseAccountPageRoutes: RouteGroup {
    let pages: ConsolePages

    var endpoints: [Route] {
        [
            Route(.get, "/accounts", access: .public, tag: "console", summary: "Console: database account ledger with filters", ledger),
            Route(.get, "/accounts/classifications", access: .public, tag: "console", summary: "Console: classifications and rules editor with preview", classifications),
            Route(.get, "/accounts/{account_id}", access: .public, tag: "console", summary: "Console: a database account with privileges and change history", account),
        ]
    }

    func ledger(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        await page("accounts", titleKey: "nav_accounts", request)
    }

    func classifications(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        await page("classifications", titleKey: "nav_classifications", request)
    }

    func account(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        await page("account", titleKey: "nav_accounts", request, subject: try context.parameters.require("account_id"))
    }

    private func page(_ template: String, titleKey: String, _ request: Request, subject: String? = nil) async -> Response {
        switch await pages.signedIn(request) {
        case .success(let principal):
            var values: [String: Any] = [:]
            values["subject_id"] = subject
            return pages.render(template, nav: "accounts", titleKey: titleKey, request: request, principal: principal, values: values)
        case .failure(let redirect): return redirect.response
        }
    }
}
