using System.Security.Cryptography;
using System.Text;
using Ezio.Deployment.Contracts;
using Ezio.Server.Deployments;
using Ezio.Server.Hosting;

namespace Ezio.Server.Api;

/// <summary>Admin API: bearer token required, unless the server runs with --insecure.</summary>
internal static class AdminEndpoints
{
    public static void Map(IEndpointRouteBuilder app, ServerOptions options)
    {
        var group = app.MapGroup("");
        group.AddEndpointFilter(async (context, next) =>
            Authorized(context.HttpContext, options.AdminToken) ? await next(context).ConfigureAwait(false)
                : JsonBody.Error(StatusCodes.Status401Unauthorized, "admin token required (Authorization: Bearer ...)"));
        group.AddEndpointFilter(Dashboard.AdminHistory.RecordFilter);
        group.MapPost(ApiRoutes.Deployments, CreateAsync);
        group.MapGet(ApiRoutes.Deployments, (DeploymentManager manager) => Results.Json(manager.ListDeployments(), DeploymentJsonContext.Default.IReadOnlyListDeploymentInfo));
        group.MapGet(ApiRoutes.Machines, (DeploymentManager manager) => Results.Json(manager.ListMachines(), DeploymentJsonContext.Default.IReadOnlyListMachineInfo));
        group.MapPost(ApiRoutes.Release, (string mac, DeploymentManager manager) => AgentEndpoints.Answer(manager.Release(mac), DeploymentJsonContext.Default.MachineInfo));
    }

    private static async Task<IResult> CreateAsync(HttpContext context, DeploymentManager manager)
    {
        var (request, error) = await JsonBody.ReadAsync(context, DeploymentJsonContext.Default.CreateDeploymentRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }
        var outcome = manager.Create(request!);
        return outcome.Error is null
            ? Results.Json(outcome.Value, DeploymentJsonContext.Default.DeploymentInfo, statusCode: StatusCodes.Status201Created)
            : JsonBody.Error(outcome.Status, outcome.Error);
    }

    internal static bool Authorized(HttpContext context, string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            // Only with --insecure: AdminToken.Resolve always sets one otherwise.
            return true;
        }
        var header = context.Request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[prefix.Length..]), Encoding.UTF8.GetBytes(token));
    }
}
