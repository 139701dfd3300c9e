"""Figures printed in the report's Appendix 5, Annexes 4, 5a and 5b, as transcribed.

Source: /work/shared/seeds/common-ground-mutual-home-ownership.txt
- Annex 4 (assumptions): lines 14153-14690; weekly charges £9.10 (2.80 + 1.10 +
  1.20 + 2.20 + 1.80), i.e. £473.20 a year, printed "£473".
- Annex 5a inputs: lines 14689-14810; yearly table: lines 14813-15263;
  equity stakes at handover: lines 15267-15387. The "(contd)" table at
  15399-19012 is unreadable OCR and is not used.
- Annex 5b inputs: lines 19021-19350; yearly table: lines 19458-19755;
  handover: lines 19758-19880; unitised equity stake: lines 19885-20122.
  This copy of 5b prints no year-7 handover column.

Printed figures are whole pounds (unit values in pounds and pence). A blank
cell in the print (e.g. 5a year 1 surplus of £0.42, year 30 final debt) is 0.
OCR splits such as "1 07,743" are read as 107,743.
"""

from __future__ import annotations

from decimal import Decimal

D = Decimal

# Shared inputs (Annex 4 and the headers of 5a/5b).
DWELLING_VALUE = D("145000")
INCOME = D("21000")
FIRST_YEAR_PAYMENTS = D("5554")  # "Affordable payments" / year-1 "Rent": 32.5% of net salary
FIRST_YEAR_CHARGES = D("473.20")  # £9.10 a week x 52, printed 473
REAL_RATE = D("0.0235")
INFLATION = D("0.025")  # also "Mortgage indexation"
RENT_ABOVE_RPI = D("0.005")  # payments rise 3.0%
CHARGES_ABOVE_RPI = D("0.01")  # charges rise 3.5%
PROPERTY_INFLATION = D("0.035")  # from year 3; 0% in years 1 and 2
TERM_YEARS = 30

# Annex 5a (lines 14689-15387).
A5A_SUBSIDY = D("30708")
A5A_DEPOSIT = D("5800")
A5A_DEBT = D("108492")
A5A_FIRST_PAYMENT = D("5080")

# year: (property value, starting debt, interest, payment, indexation, final debt,
#        rent, charges, net CLT income, surplus/deficit, reserve balance)
A5A_YEARS = {
    1: (145000, 108492, 2550, 5080, 2649, 108610, 5554, 473, 5081, 0, 0),
    2: (145000, 108610, 2552, 5207, 2649, 108604, 5721, 490, 5231, 23, 24),
    3: (145000, 108604, 2552, 5338, 2645, 108464, 5892, 507, 5385, 48, 72),
    4: (150075, 108464, 2549, 5471, 2639, 108181, 6069, 525, 5544, 73, 145),
    5: (155328, 108181, 2542, 5608, 2628, 107743, 6251, 543, 5708, 100, 245),
    10: (184480, 104220, 2449, 6345, 2508, 102833, 7247, 645, 6602, 257, 1202),
    15: (219105, 94818, 2228, 7178, 2247, 92114, 8401, 766, 7635, 457, 3067),
    20: (260228, 77927, 1831, 8122, 1791, 73427, 9739, 910, 8829, 707, 6080),
    25: (309069, 50869, 1195, 9189, 1072, 43947, 11290, 1080, 10210, 1021, 10529),
    30: (367077, 10158, 239, 10397, 0, 0, 13088, 1283, 11805, 1409, 16764),
}

# leaving at end of year: (value of property at leaving date, debt at leaving date, repaid equity)
A5A_HANDOVER = {
    5: (160764, 107743, 12544),
    7: (172215, 106360, 22494),
    10: (190937, 102833, 40031),
    15: (226774, 92114, 77562),
    20: (269336, 73427, 128096),
    25: (319887, 43947, 195398),
    30: (379925, 0, 284268),
}

# Annex 5b (lines 19021-20122): the unitised model.
A5B_TOTAL_UNITS = 1000
A5B_CLT_UNITS = 213
A5B_DEPOSIT_UNITS = 40
A5B_FINANCED_UNITS = 747
A5B_SUBSIDY = D("30885")
A5B_DEPOSIT = D("5800")
A5B_DEBT = D("108315")
A5B_FIRST_PAYMENT = D("5072")

A5B_YEARS = {
    1: (145000, 108315, 2545, 5072, 2645, 108433, 5554, 473, 5081, 9, 9),
    2: (145000, 108433, 2548, 5199, 2645, 108427, 5721, 490, 5231, 32, 41),
    3: (145000, 108427, 2548, 5329, 2641, 108287, 5892, 507, 5385, 56, 97),
    4: (150075, 108287, 2545, 5462, 2634, 108004, 6069, 525, 5544, 82, 179),
    5: (155328, 108004, 2538, 5599, 2624, 107567, 6251, 543, 5708, 109, 289),
    10: (184480, 104050, 2445, 6334, 2504, 102665, 7247, 645, 6602, 267, 1295),
    15: (219105, 94663, 2225, 7167, 2243, 91964, 8401, 766, 7635, 468, 3215),
    20: (260228, 77800, 1828, 8108, 1788, 73307, 9739, 910, 8829, 721, 6291),
    25: (309069, 50786, 1193, 9174, 1070, 43876, 11290, 1080, 10210, 1036, 10812),
    30: (367077, 10141, 238, 10380, 0, 0, 13088, 1283, 11805, 1426, 17128),
}

A5B_HANDOVER = {
    5: (160764, 107567, 12524),
    10: (190937, 102665, 39965),
    15: (226774, 91964, 77436),
    20: (269336, 73307, 127887),
    25: (319887, 43876, 195080),
    30: (379925, 0, 283804),
}

# end of year: (value of unit, mortgagee units, CLT units, total purchased, occupier units); 0 = admission
A5B_UNITS = {
    0: (D("145.00"), 747, 213, 0, 40),
    5: (D("155.33"), 693, 213, 54, 94),
    10: (D("184.48"), 557, 213, 190, 230),
    15: (D("219.10"), 420, 213, 327, 367),
    20: (D("260.23"), 282, 213, 465, 505),
    25: (D("309.07"), 142, 213, 605, 645),
    30: (D("367.08"), 0, 213, 747, 787),
}

# Annex 4 "Finance options (based on £1,000)", lines 14381-14440.
PER_THOUSAND_REPAYMENT_20_YEARS_AT_4_85 = D("79.23")
PER_THOUSAND_INDEX_LINKED_20_YEARS = D("63.24")
PER_THOUSAND_INDEX_LINKED_30_YEARS = D("46.83")

# Report 6.4, Table 6.1 (lines 9708-9713): first-year payment on £100,000 at a
# 3% real rate, index-linked, by term. The 40-year figure is printed 4,366;
# the convention gives 4,326 (see docs/rules-equity.md), so it is left out.
TABLE_6_1_FIRST_PAYMENTS = {20: D("6722"), 25: D("5743"), 30: D("5102"), 35: D("4654")}
