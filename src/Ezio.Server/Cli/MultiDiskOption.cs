using Ezio.Deployment.Contracts;

namespace Ezio.Server.Cli;

/// <summary>
/// `deploy --disk-map`: how the agents map a multi-disk image's disks to theirs. "order" (the
/// default) and "size" choose among each machine's usable disks; "serial:S1,S2" names the
/// serial of the target of each image disk, in image order.
/// </summary>
internal static class MultiDiskOption
{
    public static CreateDeploymentRequest Apply(CreateDeploymentRequest request, string text) => text switch
    {
        "order" => request with { DiskMapping = DiskMapping.Order },
        "size" => request with { DiskMapping = DiskMapping.Size },
        _ when text.StartsWith("serial:", StringComparison.Ordinal) && text.Length > 7 => request with
        {
            DiskMapping = DiskMapping.Serial,
            DiskSerials = text[7..].Split(',', StringSplitOptions.TrimEntries),
        },
        _ => throw new UsageException($"--disk-map: order, size or serial:S1,S2, not '{text}'"),
    };
}
