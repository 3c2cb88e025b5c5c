using Ezio.Deployment.Contracts;
using Ezio.Server.BootFiles;
using Ezio.Server.BootMenus;
using Ezio.Server.Deployments;
using Ezio.Server.Images;

namespace Ezio.Server.Api;

/// <summary>
/// The agents' endpoints: open on the LAN, so every input is validated. Register is open to
/// anyone; every later call carries the machine's secret (<see cref="ApiRoutes.MachineSecretHeader"/>).
/// </summary>
internal static class AgentEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost(ApiRoutes.Register, RegisterAsync);
        app.MapGet(ApiRoutes.Job, (HttpContext context, string? machine, DeploymentManager manager) =>
            Answer(manager.GetJob(machine, CallerOf(context)), DeploymentJsonContext.Default.JobResponse));
        app.MapPost(ApiRoutes.Progress, ProgressAsync);
        app.MapPost(ApiRoutes.Done, DoneAsync);
        app.MapGet(ApiRoutes.Seeding, (HttpContext context, string? deployment, string? machine, DeploymentManager manager) =>
            Answer(manager.Seeding(deployment, machine, CallerOf(context)), DeploymentJsonContext.Default.SeedingStatus));
        app.MapGet(ApiRoutes.ImageTorrent, Torrent);
        app.MapMethods("/boot/{**path}", ["GET", "HEAD"], Boot);
    }

    private static async Task<IResult> RegisterAsync(HttpContext context, DeploymentManager manager)
    {
        var (request, error) = await JsonBody.ReadAsync(context, DeploymentJsonContext.Default.RegisterRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }
        return Answer(manager.Register(request!, RemoteAddress(context)), DeploymentJsonContext.Default.RegisterResponse);
    }

    private static async Task<IResult> ProgressAsync(HttpContext context, DeploymentManager manager)
    {
        var (report, error) = await JsonBody.ReadAsync(context, DeploymentJsonContext.Default.ProgressReport).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }
        var outcome = manager.Progress(report!, CallerOf(context));
        return outcome.Error is null ? Results.NoContent() : JsonBody.Error(outcome.Status, outcome.Error);
    }

    private static async Task<IResult> DoneAsync(HttpContext context, DeploymentManager manager)
    {
        var (report, error) = await JsonBody.ReadAsync(context, DeploymentJsonContext.Default.DoneReport).ConfigureAwait(false);
        return error ?? Answer(manager.Done(report!, CallerOf(context)), DeploymentJsonContext.Default.DoneResponse);
    }

    /// <summary>The socket's address (IPv4 unmapped); what a body claims is never used.</summary>
    internal static string? RemoteAddress(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : null;

    private static Caller CallerOf(HttpContext context) =>
        new(RemoteAddress(context), context.Request.Headers[ApiRoutes.MachineSecretHeader].ToString() is { Length: > 0 } secret ? secret : null);

    private static IResult Torrent(string name, IImageCatalog images) =>
        images.TryGet(name, out var image)
            ? Results.Bytes(image.TorrentBytes, "application/x-bittorrent", name + ".torrent")
            : JsonBody.Error(StatusCodes.Status404NotFound, "no such image");

    /// <summary>
    /// GET /boot/&lt;mac&gt;.ipxe: the machine's iPXE script; GET /boot/&lt;dir&gt;/&lt;file&gt;: a file of
    /// the live directory (kernel, initrd, squashfs), where &lt;dir&gt; is "live" or the directory
    /// the menus' kernel path names ("ezio" by default). Ranges are honoured (live-boot resumes).
    /// GET /boot/ipxe/snponly.efi: the loader UEFI HTTP Boot is told to fetch.
    /// </summary>
    private static IResult Boot(string path, DeploymentManager manager, BootMenuWriter menus, LiveFiles live, LoaderFiles loaders, BootMenuOptions options)
    {
        if (!path.Contains('/') && path.EndsWith(".ipxe", StringComparison.Ordinal))
        {
            return Ipxe(path, manager, menus);
        }
        var slash = path.IndexOf('/');
        var first = slash > 0 ? path[..slash] : "";
        if ((first == "live" || first == KernelDirectory(options)) && live.TryResolve(path[(slash + 1)..], out var file))
        {
            return Results.File(file.FullName, LiveFiles.ContentType(file.Name), enableRangeProcessing: true, lastModified: file.LastWriteTimeUtc);
        }
        return Loader(path, loaders);
    }

    /// <summary>UEFI HTTP Boot's loader (iPXE).</summary>
    private static IResult Loader(string path, LoaderFiles loaders) =>
        loaders.TryResolve(path, out var file)
            ? Results.File(file.FullName, LiveFiles.ContentType(file.Name), enableRangeProcessing: true, lastModified: file.LastWriteTimeUtc)
            : JsonBody.Error(StatusCodes.Status404NotFound, "no such boot file");

    private static string? KernelDirectory(BootMenuOptions options)
    {
        var slash = options.Kernel.IndexOf('/');
        return slash > 0 ? options.Kernel[..slash] : null;
    }

    /// <summary>The machine's iPXE script, generated from its current state.</summary>
    private static IResult Ipxe(string file, DeploymentManager manager, BootMenuWriter menus)
    {
        if (!MacAddress.TryNormalize(file[..^5], out var mac))
        {
            return JsonBody.Error(StatusCodes.Status404NotFound, "expected /boot/<mac>.ipxe");
        }
        var pending = manager.PendingDeployment(mac);
        var target = pending is null ? new MenuTarget(mac, "", "", AfterAction.Stay) : new MenuTarget(mac, pending.Image, pending.Id, pending.After);
        return Results.Text(menus.RenderIpxe(target, deploy: pending is not null), "text/plain");
    }

    internal static IResult Answer<T>(ApiOutcome<T> outcome, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) =>
        outcome.Error is null ? Results.Json(outcome.Value, info) : JsonBody.Error(outcome.Status, outcome.Error);
}
