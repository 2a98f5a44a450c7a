using Kpk.Core;
using Kpk.Series.Guards;

namespace Kpk.Series.Apply;

/// <summary>
/// Selects a series' patches with the guards engine behind <c>kpk guards</c>, so that
/// <c>series apply</c> picks exactly what <c>guards SYMBOLS &lt; series.conf</c> prints.
/// </summary>
public sealed class GuardsSeriesSelector : ISeriesSelector
{
    public IReadOnlyList<SeriesPatch> Select(string seriesPath, IReadOnlyCollection<string> symbols)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(seriesPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{seriesPath}: cannot read the series: {e.Message}");
        }
        var defined = new HashSet<string>(symbols.Select(ByteText.FromUnicode), StringComparer.Ordinal);
        return GuardEvaluator.Select(GuardedList.Parse(ByteText.FromBytes(bytes)), defined)
            .Select(e => new SeriesPatch(ByteText.ToUnicode(e.Name), seriesPath, e.Line))
            .ToList();
    }
}
