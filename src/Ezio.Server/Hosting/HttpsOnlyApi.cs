using System.Text.Json;
using Ezio.Deployment.Contracts;

namespace Ezio.Server.Hosting;

/// <summary>
/// With an https:// listener, the API that carries the admin token, machine secrets and reports
/// answers only over TLS: the plain listener keeps what boot loaders and BitTorrent clients
/// need (boot files, torrents, announce, scrape, the dashboard page) and refuses the rest with
/// 403 before reading a body, so a client set up with the http URL learns it at once.
/// </summary>
internal static class HttpsOnlyApi
{
    private const string ApiPrefix = "/api/v1/";
    private const string ImagesPrefix = "/api/v1/images/";

    public static void Use(WebApplication app, string httpsUrl)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new ErrorResponse($"this API is served over https only: use {httpsUrl.TrimEnd('/')}"), DeploymentJsonContext.Default.ErrorResponse);
        app.Use(async (context, next) =>
        {
            if (!context.Request.IsHttps && IsSecretBearing(context.Request.Path))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                context.Response.ContentType = "application/json";
                await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
                return;
            }
            await next(context).ConfigureAwait(false);
        });
    }

    /// <summary>Everything under /api/v1/ except the torrent files (fetched by the job's plain URL).</summary>
    internal static bool IsSecretBearing(PathString path)
    {
        var value = path.Value ?? "";
        if (!value.StartsWith(ApiPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        return !(value.StartsWith(ImagesPrefix, StringComparison.OrdinalIgnoreCase)
            && value.EndsWith("/torrent", StringComparison.OrdinalIgnoreCase));
    }
}
