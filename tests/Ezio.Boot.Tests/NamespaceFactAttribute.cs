using Ezio.TestKit.Processes;

namespace Ezio.Boot.Tests;

/// <summary>A test that builds network namespaces: needs root; skips as <see cref="SkipRule"/> says.</summary>
internal sealed class NamespaceFactAttribute() : RequiresFactAttribute("BOOT TEST", [], needsRoot: true);
