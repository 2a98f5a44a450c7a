using Kpk.Core;

namespace Kpk.Elf;

/// <summary>The input is not an ELF file kpk can read; the message names the file and the defect.</summary>
public sealed class ElfFormatException(string file, string problem)
    : KpkException($"{file}: {problem}", ExitCodes.Error)
{
    public string File { get; } = file;
    public string Problem { get; } = problem;
}
