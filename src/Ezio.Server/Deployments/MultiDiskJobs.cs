using Ezio.Deployment.Contracts;
using Ezio.Imaging;

namespace Ezio.Server.Deployments;

/// <summary>
/// The server's part of multi-disk images: the image's disks (image.json "disks") go into every
/// job, with the serial of each disk's target when the deployment maps disks by serial.
/// </summary>
internal static class MultiDiskJobs
{
    /// <summary>The job's view of the manifest's disks, or null for a single-disk image.</summary>
    public static IReadOnlyList<JobDisk>? FromManifest(ImageManifest manifest) =>
        manifest.Disks is { Count: > 1 } disks
            ? disks.Select(d => new JobDisk(d.Name, d.DiskSize, d.LogicalSectorSize,
                string.IsNullOrWhiteSpace(d.PartitionTable.Sfdisk) ? null : d.PartitionTable.Sfdisk)).ToList()
            : null;

    /// <summary>Why the request cannot deploy an image with <paramref name="disks"/>, or null.</summary>
    public static string? Refusal(IReadOnlyList<JobDisk>? disks, CreateDeploymentRequest request)
    {
        if (disks is null)
        {
            return request.DiskMapping != DiskMapping.Order || request.DiskSerials is not null
                ? "diskMapping and diskSerials apply to images of several disks only"
                : null;
        }
        if (request.DiskMapping == DiskMapping.Serial)
        {
            if (request.DiskSerials is null || request.DiskSerials.Count != disks.Count || request.DiskSerials.Any(string.IsNullOrWhiteSpace))
            {
                return $"diskSerials: the image holds {disks.Count} disks ({string.Join(", ", disks.Select(d => d.Name))}); give one serial per disk, in that order";
            }
            if (request.DiskSerials.Distinct(StringComparer.Ordinal).Count() != disks.Count)
            {
                return "diskSerials: each image disk needs its own target disk";
            }
        }
        else if (request.DiskSerials is not null)
        {
            return "diskSerials apply to diskMapping \"serial\" only";
        }
        return null;
    }

    public static List<JobDisk>? WithSerials(IReadOnlyList<JobDisk>? disks, IReadOnlyList<string>? serials) =>
        disks?.Select((d, k) => serials is null ? d : d with { Serial = serials[k] }).ToList();
}
