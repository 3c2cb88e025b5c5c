using System.Globalization;
using System.Text;
using Ezio.Deployment.Contracts;
using Ezio.Server.Deployments;
using Ezio.Server.Ocsmgrd;
using Ezio.Server.Seeding;
using Ezio.Server.Tracker;

namespace Ezio.Server.Metrics;

/// <summary>
/// GET /metrics in the Prometheus text exposition format 0.0.4
/// (https://prometheus.io/docs/instrumenting/exposition_formats/):
/// <code>
///   # HELP name text
///   # TYPE name gauge|counter
///   name{label="value"} 42
/// </code>
/// Computed on each scrape from the live objects; nothing is kept in between.
/// </summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet(Path, (DeploymentManager manager, DeploymentSeeder seeder, AnnounceTracker tracker, OcsmgrdListener ocsmgrd) =>
            Results.Text(Render(manager, seeder, tracker, ocsmgrd), "text/plain; version=0.0.4; charset=utf-8"));

    internal static string Render(DeploymentManager manager, DeploymentSeeder seeder, AnnounceTracker tracker, OcsmgrdListener ocsmgrd)
    {
        var text = new StringBuilder(2048);
        var deployments = manager.ListDeployments();
        Header(text, "ezio_deployments", "gauge", "Deployments known to the server, by state.");
        foreach (var state in Enum.GetValues<DeploymentState>())
        {
            Sample(text, "ezio_deployments", $"state=\"{Name(state)}\"", deployments.Count(d => d.State == state));
        }

        var open = deployments.Where(d => d.State is DeploymentState.Active or DeploymentState.Finishing).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var machines = manager.ListMachines().Where(m => m.DeploymentId is not null && open.Contains(m.DeploymentId)).ToList();
        Header(text, "ezio_machines", "gauge", "Machines of open deployments, by the phase they last reported.");
        foreach (var phase in Enum.GetValues<DeployPhase>())
        {
            Sample(text, "ezio_machines", $"phase=\"{Name(phase)}\"", machines.Count(m => m.Phase == phase));
        }
        Header(text, "ezio_machines_bytes_done", "gauge", "Bytes written by the machines of open deployments.");
        Sample(text, "ezio_machines_bytes_done", null, machines.Sum(m => m.BytesDone));
        Header(text, "ezio_machines_bytes_total", "gauge", "Bytes the machines of open deployments have to write.");
        Sample(text, "ezio_machines_bytes_total", null, machines.Sum(m => m.BytesTotal));
        Header(text, "ezio_machines_download_rate_bytes", "gauge", "Sum of the machines' reported download rates (bytes/s).");
        Sample(text, "ezio_machines_download_rate_bytes", null, machines.Sum(m => m.RateIn));

        Header(text, "ezio_seeder_bytes_served_total", "counter", "Bytes the server's seeder uploaded to peers.");
        Sample(text, "ezio_seeder_bytes_served_total", null, seeder.BytesServed);
        Header(text, "ezio_seeder_images", "gauge", "Images the server is seeding now.");
        Sample(text, "ezio_seeder_images", null, seeder.ActiveSeeds);

        var swarms = tracker.ScrapeAll();
        Header(text, "ezio_tracker_announces_total", "counter", "Announces the tracker answered.");
        Sample(text, "ezio_tracker_announces_total", null, tracker.Announces);
        Header(text, "ezio_tracker_swarms", "gauge", "Info-hashes the tracker knows.");
        Sample(text, "ezio_tracker_swarms", null, swarms.Count);
        Header(text, "ezio_tracker_peers", "gauge", "Peers listed by the tracker, seeders and leechers.");
        Sample(text, "ezio_tracker_peers", "kind=\"seeder\"", swarms.Sum(s => (long)s.Result.Complete));
        Sample(text, "ezio_tracker_peers", "kind=\"leecher\"", swarms.Sum(s => (long)s.Result.Incomplete));
        Header(text, "ezio_tracker_completed_total", "counter", "Distinct completed events, over all swarms.");
        Sample(text, "ezio_tracker_completed_total", null, swarms.Sum(s => (long)s.Result.Downloaded));

        Header(text, "ezio_ocsmgrd_reports_total", "counter", "Clonezilla job reports received on the ocsmgrd port, by outcome.");
        Sample(text, "ezio_ocsmgrd_reports_total", "outcome=\"accepted\"", ocsmgrd.Accepted);
        Sample(text, "ezio_ocsmgrd_reports_total", "outcome=\"rejected\"", ocsmgrd.Rejected);
        return text.ToString();
    }

    private static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, string? labels, long value)
    {
        text.Append(name);
        if (labels is not null)
        {
            text.Append('{').Append(labels).Append('}');
        }
        text.Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
