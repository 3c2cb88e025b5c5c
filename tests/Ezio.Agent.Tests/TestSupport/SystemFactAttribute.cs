using Ezio.TestKit.Processes;

namespace Ezio.Agent.Tests.TestSupport;

/// <summary>A system test: needs root (loop devices, network namespaces); skips as <see cref="SkipRule"/> says.</summary>
internal sealed class SystemFactAttribute() : RequiresFactAttribute("AGENT SYSTEM TEST", [], needsRoot: true);
