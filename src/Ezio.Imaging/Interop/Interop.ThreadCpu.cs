using System.Runtime.InteropServices;

namespace Ezio.Imaging.Interop;

// CPU time of the calling thread (clock_gettime(CLOCK_THREAD_CPUTIME_ID), which Tmds.LibC does
// not wrap): what one decompression cost, unlike wall time, which on a loaded machine also
// counts the time the thread waited for a core.
internal static partial class ThreadCpu
{
    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc.so.6", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>Nanoseconds of CPU this thread has used; 0 where the clock is missing.</summary>
    public static long Now() =>
        ClockGetTime(ClockThreadCpuTime, out var time) == 0 ? time.Seconds * 1_000_000_000 + time.Nanoseconds : 0;
}
