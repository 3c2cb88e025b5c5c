using System.Net;
using System.Net.Sockets;
using Ezio.Deployment.Contracts;
using Ezio.Server.Api;
using Ezio.Server.Cli;
using Ezio.Server.Deployments;
using Ezio.Server.Hosting;
using Ezio.Server.Images;

namespace Ezio.Server.Dashboard;

/// <summary>
/// The admin API the dashboard's actions use (and any other client: they are plain admin
/// calls, token required, recorded in the history): images, machines with their last result,
/// groups, wake, cancel, retry, replace. Plus the read-only plot data under the dashboard's
/// access rule.
/// </summary>
internal static class ConsoleEndpoints
{
    public const string Images = "/api/v1/images";
    public const string MachinesOverview = "/api/v1/machines/overview";
    public const string Groups = "/api/v1/groups";
    public const string Group = "/api/v1/groups/{name}";
    public const string Wake = "/api/v1/wake";
    public const string Actions = "/api/v1/actions";
    public const string Cancel = "/api/v1/deployments/{id}/cancel";
    public const string Retry = "/api/v1/deployments/{id}/machines/{mac}/retry";
    public const string Replace = "/api/v1/machines/{mac}/replace";
    public const string Series = "/api/v1/dashboard/series";
    public const string Report = "/api/v1/deployments/{id}/report";

    public static void Map(IEndpointRouteBuilder app, ServerOptions options)
    {
        var admin = app.MapGroup("");
        admin.AddEndpointFilter(async (context, next) =>
            AdminEndpoints.Authorized(context.HttpContext, options.AdminToken) ? await next(context).ConfigureAwait(false)
                : JsonBody.Error(StatusCodes.Status401Unauthorized, "admin token required (Authorization: Bearer ...)"));
        admin.AddEndpointFilter(AdminHistory.RecordFilter);
        admin.MapGet(Images, (IImageCatalog images) => Results.Json(ImageList(images, options.Repo), ConsoleJsonContext.Default.IReadOnlyListImageSummary));
        admin.MapGet(MachinesOverview, (DeploymentManager manager, AdminHistory history) =>
        {
            var last = history.LastResults();
            IReadOnlyList<MachineOverview> rows = manager.ListMachines().Select(m => last.TryGetValue(m.Mac, out var r)
                ? new MachineOverview(m, r.Image, r.Ok, r.Reason, r.FinishedAt)
                : new MachineOverview(m, null, null, null, null)).ToList();
            return Results.Json(rows, ConsoleJsonContext.Default.IReadOnlyListMachineOverview);
        });
        admin.MapGet(Groups, (GroupStore groups) => Results.Json(groups.List(), ConsoleJsonContext.Default.IReadOnlyListMachineGroup));
        admin.MapPut(Group, SaveGroupAsync);
        admin.MapDelete(Group, (string name, GroupStore groups) =>
            groups.Delete(name) ? Results.NoContent() : JsonBody.Error(StatusCodes.Status404NotFound, $"no group '{Truncate(name)}'"));
        admin.MapPost(Wake, WakeAsync);
        admin.MapGet(Actions, (AdminHistory history) => Results.Json(history.Actions(), ConsoleJsonContext.Default.IReadOnlyListAdminAction));
        admin.MapPost(Cancel, (string id, DeploymentManager manager) => AgentEndpoints.Answer(manager.Cancel(id), DeploymentJsonContext.Default.DeploymentInfo));
        admin.MapPost(Retry, (string id, string mac, DeploymentManager manager) => AgentEndpoints.Answer(manager.Retry(id, mac), DeploymentJsonContext.Default.MachineInfo));
        admin.MapPost(Replace, ReplaceAsync);

        var read = app.MapGroup("");
        read.AddEndpointFilterFactory(DashboardAccess.Filter);
        read.MapGet(Series, (long? after, RateSeries series) => Results.Json(series.Since(after ?? 0), ConsoleJsonContext.Default.SeriesSnapshot));
        read.MapGet(Report, (string id, DeploymentManager manager, AdminHistory history, RateSeries series) =>
            BuildReport(id, manager, history, series) is { } report
                ? Results.Json(report, ConsoleJsonContext.Default.DeploymentReport)
                : JsonBody.Error(StatusCodes.Status404NotFound, $"no deployment '{Truncate(id)}'"));
    }

    internal static IReadOnlyList<ImageSummary> ImageList(IImageCatalog images, string repo)
    {
        var list = new List<ImageSummary>();
        foreach (var name in images.List())
        {
            if (!images.TryGet(name, out var image))
            {
                continue;
            }
            var tables = image.Disks is { } disks ? disks.Select(d => d.PartitionTable) : [image.PartitionTable];
            var partitions = tables.Sum(t => t?.Split('\n').Count(l => l.Contains("start=", StringComparison.Ordinal)) ?? 0);
            var torrent = Path.Combine(repo, name, name + ".torrent");
            DateTimeOffset? created = File.Exists(torrent) ? new DateTimeOffset(File.GetLastWriteTimeUtc(torrent), TimeSpan.Zero) : null;
            var minDisk = image.Disks is { Count: > 0 } d2 ? d2.Max(x => x.SizeBytes) : image.SizeBytes;
            list.Add(new ImageSummary(image.Name, image.SizeBytes, minDisk, partitions, image.Disks?.Count ?? 1, created,
                image.Resize?.MinimumDiskSize, ResizeJobs.Policy(image, new CreateDeploymentRequest(name, []))));
        }
        return list;
    }

    internal static DeploymentReport? BuildReport(string id, DeploymentManager manager, AdminHistory history, RateSeries series)
    {
        if (manager.FindDeployment(id) is not { } d)
        {
            return null;
        }
        var results = history.Results(id);
        var size = manager.DeploymentSize(id);
        var server = series.ServerBytes(id);
        var machines = results.Select(r => new ReportMachine(r.Mac, r.Hostname, r.Seconds, r.Ok, r.Reason, r.BytesFetched)).ToList();
        return new DeploymentReport(d.Id, d.Image, d.State.ToString().ToLowerInvariant(), size, d.CreatedAt, d.FinishedAt, machines,
            results.Sum(r => r.BytesFetched), server, server is { } s && size > 0 ? Math.Round((double)s / size, 2) : null);
    }

    private static async Task<IResult> SaveGroupAsync(string name, HttpContext context, GroupStore groups)
    {
        var (body, error) = await JsonBody.ReadAsync(context, ConsoleJsonContext.Default.MachineGroup).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }
        if (body!.Name != name)
        {
            return JsonBody.Error(StatusCodes.Status400BadRequest, "the body's name differs from the URL's");
        }
        var outcome = groups.Save(name, body.Machines);
        return outcome.Error is null ? Results.Json(outcome.Value, ConsoleJsonContext.Default.MachineGroup) : JsonBody.Error(outcome.Status, outcome.Error);
    }

    private static async Task<IResult> ReplaceAsync(string mac, HttpContext context, DeploymentManager manager)
    {
        ReplaceRequest? body = new(null);
        // The body is optional: a plain POST marks the machine replaced by nothing.
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            (body, var error) = await JsonBody.ReadAsync(context, ConsoleJsonContext.Default.ReplaceRequest).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }
        }
        return AgentEndpoints.Answer(manager.Replace(mac, body!.Replacement), DeploymentJsonContext.Default.IReadOnlyListDeploymentInfo);
    }

    /// <summary>Magic packets to the named MACs or a group's, on the given or configured broadcast address.</summary>
    private static async Task<IResult> WakeAsync(HttpContext context, GroupStore groups, ServerOptions options)
    {
        var (body, error) = await JsonBody.ReadAsync(context, ConsoleJsonContext.Default.WakeRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }
        var request = body!;
        IReadOnlyList<string> macs;
        if (request.Group is { } groupName)
        {
            if (groups.Find(groupName) is not { } group)
            {
                return JsonBody.Error(StatusCodes.Status404NotFound, $"no group '{Truncate(groupName)}'");
            }
            macs = group.Machines;
        }
        else
        {
            macs = request.Machines ?? [];
        }
        if (macs.Count is 0 or > 10000)
        {
            return JsonBody.Error(StatusCodes.Status400BadRequest, "machines: give 1-10000 MAC addresses or a group");
        }
        foreach (var mac in macs)
        {
            if (!MacAddress.TryNormalize(mac, out _))
            {
                return JsonBody.Error(StatusCodes.Status400BadRequest, $"not a MAC address: '{Truncate(mac)}'");
            }
        }
        var broadcastText = request.Broadcast ?? options.WakeBroadcast;
        if (!IPAddress.TryParse(broadcastText, out var broadcast) || broadcast.AddressFamily != AddressFamily.InterNetwork)
        {
            return JsonBody.Error(StatusCodes.Status400BadRequest, $"broadcast: not an IPv4 address: '{Truncate(broadcastText)}'");
        }
        if (request.Port is < 1 or > 65535)
        {
            return JsonBody.Error(StatusCodes.Status400BadRequest, "port: 1-65535");
        }
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { EnableBroadcast = true };
        var target = new IPEndPoint(broadcast, request.Port);
        foreach (var mac in macs)
        {
            await socket.SendToAsync(WakeCommand.MagicPacket(mac), target, context.RequestAborted).ConfigureAwait(false);
        }
        return Results.Json(new WakeResult(macs.Count, broadcast.ToString(), request.Port), ConsoleJsonContext.Default.WakeResult);
    }

    private static string Truncate(string? text) => text is null ? "" : text.Length <= 40 ? text : text[..40] + "…";
}
