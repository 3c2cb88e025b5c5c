using Ezio.Server.Api;
using Ezio.Server.Hosting;

namespace Ezio.Server.Dashboard;

/// <summary>
/// Who may read the dashboard's live view, plots and history: anyone when the config says
/// <c>"publicDashboard": true</c> or the server runs --insecure; otherwise the admin token, or a
/// browser on the server host itself (loopback, or the server's own address).
/// </summary>
internal static class DashboardAccess
{
    public static EndpointFilterDelegate Filter(EndpointFilterFactoryContext _, EndpointFilterDelegate next) =>
        async context =>
        {
            var options = context.HttpContext.RequestServices.GetService(typeof(ServerOptions)) as ServerOptions;
            return options is not null && Allowed(context.HttpContext, options)
                ? await next(context).ConfigureAwait(false)
                : JsonBody.Error(StatusCodes.Status401Unauthorized, "the dashboard needs the admin token (or \"publicDashboard\": true in the server's config)");
        };

    public static bool Allowed(HttpContext context, ServerOptions options) =>
        options.PublicDashboard || string.IsNullOrEmpty(options.AdminToken) || FromServerHost(context)
        || AdminEndpoints.Authorized(context, options.AdminToken);

    private static bool FromServerHost(HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is not { } remote)
        {
            return false;
        }
        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }
        var local = context.Connection.LocalIpAddress;
        if (local is { IsIPv4MappedToIPv6: true })
        {
            local = local.MapToIPv4();
        }
        return System.Net.IPAddress.IsLoopback(remote) || remote.Equals(local);
    }
}
