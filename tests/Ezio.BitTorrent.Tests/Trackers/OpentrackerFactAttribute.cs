using Ezio.TestKit.Processes;

namespace Ezio.BitTorrent.Tests.Trackers;

/// <summary>A test against the real opentracker; skips as <see cref="SkipRule"/> says.</summary>
public sealed class OpentrackerFactAttribute() : RequiresFactAttribute("INTEROP TEST", ["opentracker"], needsRoot: false);
