using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Ezio.Deployment.Contracts;
using Ezio.Server.Hosting;

namespace Ezio.Server.Cli;

/// <summary>
/// `deploy`, `status` and `release`: clients of a running server's admin API. The token comes
/// from --admin-token, EZIO_ADMIN_TOKEN, or the server's token file (&lt;state&gt;/admin-token,
/// the state directory from --state, the config file, or the default).
/// </summary>
internal static class AdminCommands
{
    public const string DeployUsage = "ezio-server deploy <image> --machines <MAC,MAC,...|FILE|all> [--after reboot|poweroff|stay] "
        + "[--grow-last-partition yes|no] [--hostname TEMPLATE ({mac} {mac6} {index} {index:2})] [--verify yes|no] [--disk-map order|size|serial:S1,S2] [--resize proportional|last-fills|none]" + TokenUsage;
    public const string StatusUsage = "ezio-server status" + TokenUsage;
    public const string ReleaseUsage = "ezio-server release <MAC> (clears a registration conflict; the machine's next registration gets a new job)" + TokenUsage;
    internal const string TokenUsage = " [--server URL] [--admin-token T | --admin-token-file FILE | --state DIR] [--config FILE] [--server-cert-sha256 HEX]";
    internal static readonly string[] s_clientOptions = ["--server", "--admin-token", "--admin-token-file", .. LocalServer.OptionNames];

    public static async Task<int> DeployAsync(string[] args)
    {
        var cl = Options.Parse(args, [.. s_clientOptions, "--machines", "--after", "--grow-last-partition", "--hostname", "--verify", "--disk-map", "--resize"]);
        if (cl.Positionals.Count != 1 || cl.Value("--machines") is not { } machinesArg)
        {
            throw new UsageException(DeployUsage);
        }
        var after = cl.Value("--after") switch
        {
            null or "reboot" => AfterAction.Reboot,
            "poweroff" => AfterAction.Poweroff,
            "stay" => AfterAction.Stay,
            var other => throw new UsageException($"--after: reboot, poweroff or stay, not '{other}'"),
        };
        var request = new CreateDeploymentRequest(cl.Positionals[0], ParseMachines(machinesArg), after,
            GrowLastPartition: cl.Bool("--grow-last-partition", false), VerifyAfterWrite: cl.Bool("--verify", false),
            HostnameTemplate: cl.Value("--hostname"));
        if (cl.Value("--disk-map") is { } diskMap)
        {
            request = MultiDiskOption.Apply(request, diskMap);
        }
        if (cl.Value("--resize") is { } resize)
        {
            request = request with
            {
                Resize = resize switch
                {
                    "proportional" => ResizePolicy.Proportional,
                    "last-fills" => ResizePolicy.LastFills,
                    "none" => ResizePolicy.None,
                    _ => throw new UsageException($"--resize: proportional, last-fills or none, not '{resize}'"),
                },
            };
        }
        using var http = Client(cl);
        var body = new StringContent(JsonSerializer.Serialize(request, DeploymentJsonContext.Default.CreateDeploymentRequest), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(ApiRoutes.Deployments, body).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            await Console.Error.WriteLineAsync($"ezio-server: {(int)response.StatusCode}: {ErrorText(text)}").ConfigureAwait(false);
            return 1;
        }
        var info = JsonSerializer.Deserialize(text, DeploymentJsonContext.Default.DeploymentInfo)!;
        Console.WriteLine($"deployment {info.Id}: {info.Image} to {(info.AllMachines ? "all machines" : info.Machines.Count + " machines")}, then {after.ToString().ToLowerInvariant()}");
        return 0;
    }

    public static async Task<int> StatusAsync(string[] args)
    {
        var cl = Options.Parse(args, s_clientOptions);
        using var http = Client(cl);
        var deployments = JsonSerializer.Deserialize(await GetAsync(http, ApiRoutes.Deployments).ConfigureAwait(false), DeploymentJsonContext.Default.IReadOnlyListDeploymentInfo)!;
        var machines = JsonSerializer.Deserialize(await GetAsync(http, ApiRoutes.Machines).ConfigureAwait(false), DeploymentJsonContext.Default.IReadOnlyListMachineInfo)!;
        Console.WriteLine($"{"DEPLOYMENT",-16} {"IMAGE",-20} {"STATE",-10} {"DONE",6} {"FAILED",6} {"MACHINES",8}");
        foreach (var d in deployments)
        {
            Console.WriteLine($"{d.Id,-16} {d.Image,-20} {d.State.ToString().ToLowerInvariant(),-10} {d.MachinesDone,6} {d.MachinesFailed,6} {(d.AllMachines ? "all" : d.Machines.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)),8}");
        }
        Console.WriteLine();
        Console.WriteLine($"{"MAC",-17} {"IP",-15} {"DEPLOYMENT",-16} {"PHASE",-12} {"PROGRESS",8} {"PEERS",5}  MESSAGE");
        foreach (var m in machines)
        {
            var percent = m.BytesTotal > 0 ? $"{100.0 * m.BytesDone / m.BytesTotal:0.0}%" : "-";
            var phase = m.Conflict is null ? m.Phase.ToString().ToLowerInvariant() : "CONFLICT";
            var message = m.Conflict is null ? m.Message : $"{m.Conflict} registered it too; paused: ezio-server release {m.Mac}";
            Console.WriteLine($"{m.Mac,-17} {m.Ip,-15} {m.DeploymentId,-16} {phase,-12} {percent,8} {m.Peers,5}  {message}");
        }
        return 0;
    }

    public static async Task<int> ReleaseAsync(string[] args)
    {
        var cl = Options.Parse(args, s_clientOptions);
        if (cl.Positionals.Count != 1 || !MacAddress.TryNormalize(cl.Positionals[0], out var mac))
        {
            throw new UsageException(ReleaseUsage);
        }
        using var http = Client(cl);
        using var response = await http.PostAsync(ApiRoutes.ReleasePath(mac), null).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            await Console.Error.WriteLineAsync($"ezio-server: {(int)response.StatusCode}: {ErrorText(text)}").ConfigureAwait(false);
            return 1;
        }
        Console.WriteLine($"released {mac}: its next registration gets a new secret and its job");
        return 0;
    }

    /// <summary>A comma/space separated MAC list, a file of MACs (one per line, # comments), or "all".</summary>
    internal static List<string> ParseMachines(string value)
    {
        if (value == "all")
        {
            return ["all"];
        }
        IEnumerable<string> items = File.Exists(value)
            ? File.ReadLines(value).Select(l => l.Split('#')[0])
            : [value];
        var macs = new List<string>();
        foreach (var item in items.SelectMany(l => l.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries)))
        {
            macs.Add(MacAddress.TryNormalize(item, out var mac) ? mac : throw new UsageException($"not a MAC address: '{item}'"));
        }
        return macs.Count > 0 ? macs : throw new UsageException("--machines: no MAC addresses given");
    }

    internal static HttpClient Client(Options cl)
    {
        var server = LocalServer.Url(cl);
        var http = new HttpClient(LocalServer.Handler(cl, server)) { BaseAddress = new Uri(server), Timeout = TimeSpan.FromSeconds(30) };
        // Who did it, for the server's history of admin actions (the dashboard sends its own).
        http.DefaultRequestHeaders.TryAddWithoutValidation(Dashboard.AdminHistory.ActorHeader, "cli:" + Environment.UserName);
        if (Token(cl) is { Length: > 0 } token)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return http;
    }

    /// <summary>The admin token to send, or null for a server that runs with --insecure.</summary>
    internal static string? Token(Options cl)
    {
        if ((cl.Value("--admin-token") ?? Environment.GetEnvironmentVariable("EZIO_ADMIN_TOKEN")) is { Length: > 0 } given)
        {
            return given;
        }
        if (cl.Value("--admin-token-file") is { } file)
        {
            return AdminToken.Read(file) ?? throw new UsageException($"--admin-token-file: no token in {file}");
        }
        // The server's own settings: the config file (when there is one) and the state directory.
        var configPath = cl.Value("--config") ?? (File.Exists(ServeCommand.DefaultConfig) ? ServeCommand.DefaultConfig : null);
        var options = configPath is not null && File.Exists(configPath) ? ServerOptions.LoadFile(configPath) : new ServerOptions();
        if (cl.Value("--state") is { } state)
        {
            options.StateDirectory = state;
        }
        if (cl.Value("--state") is null && !string.IsNullOrEmpty(options.AdminToken))
        {
            return options.AdminToken;
        }
        if (AdminToken.PathFor(options) is not { } path)
        {
            return null;
        }
        try
        {
            return AdminToken.Read(path);
        }
        catch (UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the admin token {path} (run as the server's user or root, or give --admin-token)");
        }
    }

    private static async Task<string> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        return response.IsSuccessStatusCode ? text : throw new UsageException($"{path}: {(int)response.StatusCode}: {ErrorText(text)}");
    }

    internal static string ErrorText(string body)
    {
        try
        {
            return JsonSerializer.Deserialize(body, DeploymentJsonContext.Default.ErrorResponse)?.Error ?? body;
        }
        catch (JsonException)
        {
            return body;
        }
    }
}
