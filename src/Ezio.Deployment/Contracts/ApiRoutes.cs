namespace Ezio.Deployment.Contracts;

/// <summary>The server's HTTP paths, shared by the server, the agent and the CLI.</summary>
public static class ApiRoutes
{
    public const string Register = "/api/v1/register";
    public const string Job = "/api/v1/job";                // ?machine=ID
    public const string Progress = "/api/v1/progress";
    public const string Done = "/api/v1/done";
    public const string Seeding = "/api/v1/seeding";        // ?deployment=ID&machine=ID
    public const string ImageTorrent = "/api/v1/images/{name}/torrent";
    public const string Deployments = "/api/v1/deployments";
    public const string Machines = "/api/v1/machines";
    public const string Release = "/api/v1/machines/{mac}/release";

    /// <summary>Header carrying the machine's secret on every agent call after register.</summary>
    public const string MachineSecretHeader = "X-Ezio-Machine-Secret";
    public const string Announce = "/announce";
    public const string Scrape = "/scrape";

    /// <summary>Largest JSON body the agent endpoints accept.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static string ReleasePath(string mac) => "/api/v1/machines/" + Uri.EscapeDataString(mac) + "/release";

    public static string TorrentPath(string image) => "/api/v1/images/" + Uri.EscapeDataString(image) + "/torrent";
}
