using System.Runtime.Versioning;

// Real clients on a 2-core CI box: one transfer at a time keeps timings honest
// and every bounded wait meaningful.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// The interop suite drives Debian packages; it only ever runs on Linux.
[assembly: SupportedOSPlatform("linux")]
