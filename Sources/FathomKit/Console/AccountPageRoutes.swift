import Hummingbird

/// The signed-in user's own pages: profile (password change) and API tokens.
struct AccountPageRoutes: RouteGroup {
    let pages: ConsolePages

    var endpoints: [Route] {
        [
            Route(.get, "/profile", access: .public, tag: "console", summary: "Console: your profile and password", profile),
            Route(.get, "/tokens", access: .public, tag: "console", summary: "Console: your API tokens", tokens),
        ]
    }

    func profile(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        await page("profile", titleKey: "nav_profile", request)
    }

    func tokens(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        await page("tokens", titleKey: "nav_tokens", request)
    }

    private func page(_ template: String, titleKey: String, _ request: Request) async -> Response {
        switch await pages.signedIn(request) {
        case .success(let principal):
            return pages.render(template, nav: template, titleKey: titleKey, request: request, principal: principal)
        case .failure(let redirect): return redirect.response
        }
    }
}
