using System.Text.Json;
using System.Text.Json.Serialization;
using Ezio.Server.BootMenus;

namespace Ezio.Server.Hosting;

/// <summary>
/// Server settings: defaults, overridden by the config file (/etc/ezio/server.json, see
/// pxe/server.json.example), overridden by command-line options.
/// </summary>
internal sealed class ServerOptions
{
    public string Repo { get; set; } = "/srv/ezio/images";
    public string Listen { get; set; } = "http://0.0.0.0:8080";
    public string? StateDirectory { get; set; } = "/var/lib/ezio-server";
    /// <summary>Port of the Clonezilla ocsmgrd-compatible listener (ocsmgrd's is 6461); off (-1) unless set.</summary>
    public int OcsmgrdPort { get; set; } = -1;

    /// <summary>Address the ocsmgrd listener binds (all IPv4 addresses, like the real one).</summary>
    public string OcsmgrdBind { get; set; } = "0.0.0.0";

    /// <summary>Live system files served under /boot/; null means &lt;boot-root&gt;/live.</summary>
    public string? LiveDirectory { get; set; }

    /// <summary>Past deployments (SQLite); null means &lt;state&gt;/history.db, none without a state directory.</summary>
    public string? HistoryFile { get; set; }
    public int PeerPort { get; set; } = 6881;
    /// <summary>Bearer token of the admin API; null: read or create <see cref="AdminTokenFile"/>.</summary>
    public string? AdminToken { get; set; }

    /// <summary>Where the admin token lives; null means &lt;state&gt;/admin-token.</summary>
    public string? AdminTokenFile { get; set; }

    /// <summary>Run the admin API without a token (a warning in the log and on the dashboard).</summary>
    public bool Insecure { get; set; }

    /// <summary>Path of a PEM ECDSA P-256 private key; jobs are signed when set.</summary>
    public string? SigningKeyFile { get; set; }

    [JsonIgnore]
    public string? SigningKeyPem { get; set; }

    /// <summary>Tracker re-announce interval in seconds; silent peers expire after two.</summary>
    public int AnnounceIntervalSeconds { get; set; } = 60;
    public int MaxPeersPerTorrent { get; set; } = 5000;

    /// <summary>Machines the server remembers; past it, the idle one seen longest ago is forgotten.</summary>
    public int MaxMachines { get; set; } = 10_000;

    /// <summary>New MACs one address may register per minute (0: no limit).</summary>
    public int NewMachinesPerMinute { get; set; } = 60;

    /// <summary>Hash the image before seeding (safe; slow for big images).</summary>
    public bool SeedRecheck { get; set; } = true;

    /// <summary>
    /// The dashboard's read-only view (live table, plots, history) for anyone on the LAN. Off by
    /// default: then it needs the admin token, except from the server host itself.
    /// </summary>
    public bool PublicDashboard { get; set; }

    /// <summary>The server's line rate in Mbit/s, drawn on the dashboard's rate plot (0: not drawn).</summary>
    public long LineRateMbit { get; set; } = 1000;

    /// <summary>Broadcast address of the dashboard's wake action when the request names none.</summary>
    public string WakeBroadcast { get; set; } = "255.255.255.255";

    public BootMenuOptions Menus { get; set; } = new();

    public static ServerOptions LoadFile(string path)
    {
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize(stream, ServerOptionsJsonContext.Default.ServerOptions) ?? new ServerOptions();
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ServerOptions))]
internal sealed partial class ServerOptionsJsonContext : JsonSerializerContext;
