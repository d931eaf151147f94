/** Collects failing item names for one check, bounded (a broken database may have millions). */
import { ITEM_LIMIT, type CheckResult, type CheckStatus } from './types.js';

export class Tally {
  checked = 0;
  failed = 0;
  readonly items: string[] = [];

  ok(): void {
    this.checked++;
  }

  fail(item: string): void {
    this.checked++;
    this.failed++;
    if (this.items.length < ITEM_LIMIT) this.items.push(item);
  }

  result(base: { id: string; title: string }, summary: { pass: string; fail: string; none?: string }, hint?: string): CheckResult {
    let status: CheckStatus = this.failed > 0 ? 'fail' : 'pass';
    let text = this.failed > 0 ? summary.fail : summary.pass;
    if (this.checked === 0 && summary.none) {
      status = 'pass';
      text = summary.none;
    }
    const r: CheckResult = { ...base, status, summary: text, checked: this.checked, failed: this.failed };
    if (this.failed > 0) {
      r.items = [...this.items];
      if (this.failed > this.items.length) r.moreItems = this.failed - this.items.length;
      if (hint) r.hint = hint;
    }
    return r;
  }
}
