using System.Runtime.Versioning;

// Loop devices, mounts and real transfers on a 2-core box: one test at a time, so the
// kernel's loop pool is never contended and every bounded wait means something.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// Loop devices, partclone and e2fsck: these tests only ever run on Linux.
[assembly: SupportedOSPlatform("linux")]
