using System.Text;
using System.Text.Json;
using Ezio.Server.Deployments;
using Ezio.Server.Hosting;
using Ezio.Server.Seeding;

namespace Ezio.Server.Dashboard;

/// <summary>
/// The live dashboard: <c>/</c> (plain HTML/CSS/JS compiled into the server, no CDN),
/// <c>/api/v1/dashboard</c> (snapshot), <c>/api/v1/history</c> and <c>/api/v1/events</c>
/// (server-sent events fed by <see cref="IDeploymentEvents"/>). Read-only, so open like the
/// agents' endpoints.
/// </summary>
internal static class DashboardEndpoints
{
    public const string Events = "/api/v1/events";
    public const string Snapshot = "/api/v1/dashboard";
    public const string History = "/api/v1/history";

    /// <summary>Each browser tab holds one connection; more than this are refused with 503.</summary>
    public const int MaxEventClients = 64;

    private static readonly TimeSpan s_keepAlive = TimeSpan.FromSeconds(15);
    private static int s_eventClients;

    public static void Map(IEndpointRouteBuilder app)
    {
        var assets = LoadAssets();
        foreach (var (path, (bytes, type)) in assets)
        {
            app.MapGet(path, () => Results.Bytes(bytes, type));
        }
        // The page itself is public (it holds the sign-in form); what it shows follows DashboardAccess.
        var read = app.MapGroup("");
        read.AddEndpointFilterFactory(DashboardAccess.Filter);
        read.MapGet(Snapshot, (DeploymentManager manager, DeploymentSeeder seeder, TimeProvider time, ServerOptions options) =>
            Results.Json(BuildSnapshot(manager, seeder, time, options), DashboardJsonContext.Default.DashboardSnapshot));
        read.MapGet(History, (DeploymentHistory history) =>
            Results.Json(new HistorySnapshot(history.Enabled, history.Deployments(), history.Machines()), DashboardJsonContext.Default.HistorySnapshot));
        read.MapGet(Events, StreamAsync);
    }

    internal static DashboardSnapshot BuildSnapshot(DeploymentManager manager, DeploymentSeeder seeder, TimeProvider time, ServerOptions options)
    {
        var all = manager.ListDeployments();
        var open = all.Where(d => d.State is Deployment.Contracts.DeploymentState.Active or Deployment.Contracts.DeploymentState.Finishing).ToList();
        if (open.Count == 0 && all.Count > 0)
        {
            // Nothing running: the last deployment stays on screen with its final state, so
            // whoever looks after the run sees how it ended rather than an empty page.
            open = [all.MaxBy(d => d.FinishedAt ?? d.CreatedAt)!];
        }
        var ids = open.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var machines = manager.ListMachines().Where(m => m.DeploymentId is not null && ids.Contains(m.DeploymentId)).ToList();
        return new DashboardSnapshot(time.GetUtcNow(), open, machines, seeder.BytesServed, Insecure: options.AdminToken is null);
    }

    /// <summary>
    /// text/event-stream: one <c>snapshot</c> event, then a <c>machine</c> or <c>deployment</c>
    /// event per change, and a comment line every 15 s so proxies keep the connection.
    /// </summary>
    private static async Task StreamAsync(HttpContext context, IDeploymentEvents events, DeploymentManager manager, DeploymentSeeder seeder, TimeProvider time, ServerOptions options,
        Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime)
    {
        if (Interlocked.Increment(ref s_eventClients) > MaxEventClients)
        {
            Interlocked.Decrement(ref s_eventClients);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        try
        {
            // The server stopping ends the stream too: a restart does not wait for open browsers,
            // and they see the connection drop and reconnect.
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
            var aborted = stopping.Token;
            // Subscribe before the snapshot so no change falls between the two.
            var reader = events.Subscribe(aborted);
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.Headers["X-Accel-Buffering"] = "no";
            var body = context.Response.Body;
            await WriteAsync(body, "snapshot", JsonSerializer.SerializeToUtf8Bytes(BuildSnapshot(manager, seeder, time, options), DashboardJsonContext.Default.DashboardSnapshot), aborted).ConfigureAwait(false);
            while (!aborted.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                wait.CancelAfter(s_keepAlive);
                try
                {
                    if (!await reader.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                {
                    await body.WriteAsync(": keep-alive\n\n"u8.ToArray(), aborted).ConfigureAwait(false);
                    await body.FlushAsync(aborted).ConfigureAwait(false);
                    continue;
                }
                while (reader.TryRead(out var change))
                {
                    if (change.Machine is { } machine)
                    {
                        await WriteAsync(body, "machine", JsonSerializer.SerializeToUtf8Bytes(machine, DashboardJsonContext.Default.MachineInfo), aborted).ConfigureAwait(false);
                    }
                    if (change.Deployment is { } deployment)
                    {
                        await WriteAsync(body, "deployment", JsonSerializer.SerializeToUtf8Bytes(deployment, DashboardJsonContext.Default.DeploymentInfo), aborted).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The browser went away.
        }
        finally
        {
            Interlocked.Decrement(ref s_eventClients);
        }
    }

    /// <summary>One SSE event; JSON never contains a raw newline, so one data line suffices.</summary>
    private static async Task WriteAsync(Stream body, string name, byte[] json, CancellationToken cancellationToken)
    {
        var head = Encoding.ASCII.GetBytes("event: " + name + "\ndata: ");
        await body.WriteAsync(head, cancellationToken).ConfigureAwait(false);
        await body.WriteAsync(json, cancellationToken).ConfigureAwait(false);
        await body.WriteAsync("\n\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The embedded files of Dashboard/wwwroot, keyed by the URL they answer.</summary>
    private static Dictionary<string, (byte[] Bytes, string Type)> LoadAssets()
    {
        var assembly = typeof(DashboardEndpoints).Assembly;
        var assets = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("dashboard/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var file = name["dashboard/".Length..];
            var type = Path.GetExtension(file) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                _ => "application/octet-stream",
            };
            assets[file == "index.html" ? "/" : "/" + file] = (copy.ToArray(), type);
        }
        return assets;
    }
}
