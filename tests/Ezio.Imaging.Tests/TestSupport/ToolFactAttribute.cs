namespace Ezio.Imaging.Tests.TestSupport;

/// <summary>A fact that needs system tools (and maybe root); skips as <see cref="SkipRule"/> says.</summary>
internal sealed class ToolFactAttribute(bool needsRoot, params string[] tools)
    : RequiresFactAttribute("IMAGING TEST", tools, needsRoot);
