using System.Runtime.Versioning;

// Each test builds a whole emulated LAN (namespaces, loop devices, N+1 processes) on a
// 2-core box: one at a time, so every time bound means something.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// Network namespaces, tc and loop devices: Linux only.
[assembly: SupportedOSPlatform("linux")]
