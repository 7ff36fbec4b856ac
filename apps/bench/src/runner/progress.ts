/**
 * Progress on stderr: on a terminal, one live line (bar, cell, step, time left) redrawn in place;
 * otherwise one line per finished cell, so logs stay readable.
 */
import { formatDuration } from "./stats.js"

export class Progress {
  private readonly tty: boolean
  private readonly started = performance.now()
  private done = 0
  private cellLabel = ""
  private stepLabel = ""
  private timer: NodeJS.Timeout | undefined
  private cellSecondsTotal = 0
  private readonly total: number
  private readonly estimate: number
  private readonly quiet: boolean

  /**
   * @param total cells to run
   * @param estimate seconds one cell is expected to take, until real ones are known
   * @param quiet print nothing at all
   */
  constructor(total: number, estimate: number, quiet: boolean) {
    this.total = total
    this.estimate = estimate
    this.quiet = quiet
    this.tty = !quiet && process.stderr.isTTY === true
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), 250)
      this.timer.unref()
    }
  }

  /** Seconds left: the cells to go times the mean so far (the estimate before the first one ends). */
  private left(): number {
    const perCell = this.done > 0 ? this.cellSecondsTotal / this.done : this.estimate
    return Math.max(0, (this.total - this.done) * perCell - (this.cellLabel ? this.currentCellSeconds() : 0))
  }

  private cellStarted = 0
  private currentCellSeconds(): number {
    const perCell = this.done > 0 ? this.cellSecondsTotal / this.done : this.estimate
    return Math.min(perCell, (performance.now() - this.cellStarted) / 1000)
  }

  startCell(label: string): void {
    this.cellLabel = label
    this.stepLabel = ""
    this.cellStarted = performance.now()
    this.draw()
  }

  step(text: string): void {
    this.stepLabel = text
  }

  /** A cell ended; `summary` is its one-line result. */
  endCell(seconds: number, summary: string): void {
    this.done++
    this.cellSecondsTotal += seconds
    const prefix = `[${this.done}/${this.total}]`
    if (this.quiet) return
    if (this.tty) {
      // Only failures scroll above the bar; the table at the end has everything else.
      if (summary.includes("FAILED")) this.print(`${prefix} ${this.cellLabel}: ${summary}`)
    } else {
      this.print(`${prefix} ${this.cellLabel}: ${summary} (${formatDuration(this.left())} left)`)
    }
    this.cellLabel = ""
    this.draw()
  }

  /** Prints a line above the progress bar. */
  print(line: string): void {
    if (this.quiet) return
    if (this.tty) process.stderr.write("\r\x1b[K")
    process.stderr.write(`${line}\n`)
    this.draw()
  }

  private draw(): void {
    if (!this.tty) return
    const width = Math.max(40, process.stderr.columns || 120)
    const barWidth = 20
    const filled = Math.round((this.done / Math.max(1, this.total)) * barWidth)
    const bar = `[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}]`
    const what = this.cellLabel ? ` ${this.cellLabel}${this.stepLabel ? ` · ${this.stepLabel}` : ""}` : ""
    const line = `${bar} ${this.done}/${this.total} · ${formatDuration(this.left())} left ·${what}`
    process.stderr.write(`\r\x1b[K${line.slice(0, width - 1)}`)
  }

  finish(): void {
    if (this.timer) clearInterval(this.timer)
    if (this.tty) process.stderr.write("\r\x1b[K")
    if (!this.quiet) {
      process.stderr.write(
        `${this.done} cells in ${formatDuration((performance.now() - this.started) / 1000)}\n`,
      )
    }
  }
}
