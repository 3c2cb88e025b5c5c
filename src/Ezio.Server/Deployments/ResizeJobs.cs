using Ezio.Deployment.Contracts;
using Ezio.Imaging;
using Ezio.Server.Images;

namespace Ezio.Server.Deployments;

/// <summary>
/// The server's part of deploying to disks of other sizes: the image's partitions and minimums
/// (image.json) go into every job with the request's policy; each agent lays out its own disk.
/// </summary>
internal static class ResizeJobs
{
    /// <summary>The job's view of the manifest's layout facts, or null when the image cannot be laid out anew.</summary>
    public static DiskResize? FromManifest(ImageManifest manifest) =>
        manifest.MinimumDiskSize > 0 && manifest.Disks is null
            ? new DiskResize(ResizePolicy.None, manifest.DiskSize, manifest.MinimumDiskSize,
                manifest.PartitionTable.Partitions.Select(p => new ResizePartition(p.Number, p.Start, p.Size, !p.Resizable, p.MinimumBytes,
                    p.Resizable ? p.FileSystem : null)).ToList())
            : null;

    /// <summary>The policy a request asks for; unset means proportional for compacted images (they must be grown), else none.</summary>
    public static ResizePolicy Policy(ImageEntry image, CreateDeploymentRequest request) =>
        request.Resize ?? (image.Compacted && image.Resize is not null ? ResizePolicy.Proportional : ResizePolicy.None);

    /// <summary>Why the request cannot resize this image, or null.</summary>
    public static string? Refusal(ImageEntry image, CreateDeploymentRequest request) =>
        Policy(image, request) != ResizePolicy.None && image.Resize is null
            ? $"resize: image '{image.Name}' cannot be laid out on disks of other sizes (a plain torrent, several disks, DOS logical partitions, or an image made before minimum sizes were recorded)"
            : null;

    /// <summary>What the deployment's jobs carry, or null for the image's layout as it is.</summary>
    public static DiskResize? For(ImageEntry image, CreateDeploymentRequest request) =>
        Policy(image, request) is var policy && policy != ResizePolicy.None && image.Resize is { } resize
            ? resize with { Policy = policy }
            : null;
}
